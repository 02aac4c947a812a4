// The line a tool list shows when the source offers none: one sentence for the detail view's
// tools and the tool editor.
import { h } from "../lib/dom";

export const NO_TOOLS = "This source offers no tools.";

export const noTools = (testid: string): HTMLElement => h("p", { class: "muted", "data-testid": testid }, NO_TOOLS);
