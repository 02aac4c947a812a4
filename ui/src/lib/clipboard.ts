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

/** Whether `text` reached the clipboard. */
export async function copyText(text: string): Promise<boolean> {
  if (!writer) return false;
  try {
    await writer(text);
    return true;
  } catch {
    return false;
  }
}
