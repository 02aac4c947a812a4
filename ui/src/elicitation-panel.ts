// The questions servers ask the person while the window tries a tool (MCP elicitation): the
// shell sends each as an `elicitationAsked` event, and this keeps them in a queue and shows the
// first as a dialog over whatever view is open. Each question is answered exactly once, through
// `answer_elicitation`; the engine answers `cancel` itself when nobody does in time, and then a
// late answer is simply not taken.
import * as api from "./api";
import type { ElicitAnswerInput, ElicitationAsked } from "./api";
import { elicitationDialog } from "./components/elicitation-dialog";
import { contentOf, initialValues, questionOf, type Question, type Values } from "./lib/elicitation";

interface Pending {
  number: number;
  sourceId: string;
  question: Question;
  values: Values;
  errors: Record<string, string>;
  answering: boolean;
}

export class ElicitationPanel {
  private queue: Pending[] = [];

  /** `changed` re-renders the window. */
  constructor(private readonly changed: () => void) {}

  ask(asked: ElicitationAsked): void {
    const question = questionOf(asked.request);
    const values = question.kind === "form" ? initialValues(question.fields) : {};
    this.queue.push({ number: asked.number, sourceId: asked.sourceId, question, values, errors: {}, answering: false });
    this.changed();
  }

  /** The dialog of the first question, or nothing; `nameOf` names the source that asks. */
  view(nameOf: (id: string) => string): HTMLElement | null {
    const pending = this.queue[0];
    if (!pending) return null;
    return elicitationDialog({
      server: nameOf(pending.sourceId),
      question: pending.question,
      values: pending.values,
      errors: pending.errors,
      answering: pending.answering,
      onAccept: () => void this.accept(pending),
      onOpen: () => void this.open(pending),
      onDecline: () => void this.answer(pending, { action: "decline", content: null }),
      onCancel: () => void this.answer(pending, { action: "cancel", content: null }),
    });
  }

  private async accept(pending: Pending): Promise<void> {
    if (pending.question.kind !== "form") return;
    const typed = contentOf(pending.question.fields, pending.values);
    if ("errors" in typed) {
      pending.errors = typed.errors;
      this.changed();
      return;
    }
    await this.answer(pending, { action: "accept", content: typed.content });
  }

  /** The person pressed Open: the shell opens the server's URL, then the server hears accept. */
  private async open(pending: Pending): Promise<void> {
    let opened = false;
    try {
      opened = await api.openElicitationUrl(pending.number);
    } catch {
      // A browser that cannot start leaves the question unanswered by the person: cancel.
    }
    await this.answer(pending, { action: opened ? "accept" : "cancel", content: null });
  }

  private async answer(pending: Pending, answer: ElicitAnswerInput): Promise<void> {
    pending.answering = true;
    this.changed();
    try {
      await api.answerElicitation(pending.number, answer);
    } catch {
      // The server stopped waiting (the engine answered cancel itself): nothing left to do.
    }
    this.queue = this.queue.filter((p) => p !== pending);
    this.changed();
  }
}
