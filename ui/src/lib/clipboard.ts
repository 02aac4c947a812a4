// Copying text for the person: the web clipboard API when the web view offers it. When it does
// not (or refuses), the caller says so and the text stays on screen, selectable, to copy by hand.
export type WriteText = (text: string) => Promise<void>;

let writer: WriteText | undefined = (text) => {
  if (!navigator.clipboard) return Promise.reject(new Error("no clipboard"));
  return navigator.clipboard.writeText(text);
};

/** Replaces the clipboard writer (tests). */
export function setWriteText(fake: WriteText | undefined): void {
  writer = fake;
}

/** How long a write may take: a web view that never answers counts as having no clipboard. */
export const WRITE_TIMEOUT_MS = 3000;

/** Whether `text` reached the clipboard. */
export async function copyText(text: string): Promise<boolean> {
  if (!writer) return false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the clipboard did not answer")), WRITE_TIMEOUT_MS);
  });
  try {
    await Promise.race([writer(text), late]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
