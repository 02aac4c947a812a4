// What a stdio source runs, as the person checks it: the exact command line (each word quoted as
// a shell would need it), the program and each argument on its own, the working folder, the
// environment's names (never a value; a secret as its keychain entry) and the fence. A source
// from outside (an import, a project's file, a link) waits for the person's approval: the same
// facts then come first, under a notice, with *Approve and enable*.
import type { LaunchView, SourceView } from "../../api";
import { waitsForApproval } from "../../lib/badge";
import { h } from "../../lib/dom";

/** The facts of `launch`; `null` for a source reached by URL. */
export function launchFacts(launch: LaunchView | null): HTMLElement | null {
  if (!launch) return null;
  return h(
    "dl",
    { class: "facts", "data-testid": "launch" },
    h("dt", {}, "Command line"),
    h("dd", { class: "mono", "data-testid": "launch-command" }, launch.command_line),
    h("dt", {}, "Program"),
    h("dd", { class: "mono", "data-testid": "launch-program" }, JSON.stringify(launch.program)),
    h("dt", {}, "Arguments"),
    h(
      "dd",
      {},
      launch.args.length === 0
        ? h("span", { class: "muted", "data-testid": "launch-no-args" }, "none")
        : h(
            "ol",
            { class: "mono", "data-testid": "launch-args" },
            // JSON quotes each one: an argument with a space, a quote or nothing in it reads as one.
            launch.args.map((arg) => h("li", { "data-testid": "launch-arg" }, JSON.stringify(arg))),
          ),
    ),
    h("dt", {}, "Working folder"),
    h("dd", { class: launch.cwd ? "mono" : "muted", "data-testid": "launch-cwd" }, launch.cwd ?? "Lanyard's own"),
    h("dt", {}, "Environment"),
    h(
      "dd",
      { "data-testid": "launch-env" },
      launch.env.length === 0
        ? h("span", { class: "muted" }, "none")
        : h(
            "ul",
            {},
            launch.env.map((v) =>
              h(
                "li",
                { "data-testid": "launch-env-name", "data-name": v.name },
                h("code", {}, v.name),
                v.secret ? h("span", { class: "muted" }, ` from the keychain (${v.secret})`) : null,
              ),
            ),
          ),
    ),
    h("dt", {}, "Fence"),
    h(
      "dd",
      { "data-testid": "launch-fence" },
      launch.sandbox
        ? `network ${launch.sandbox.network}` +
            (launch.sandbox.read.length ? `; reads ${launch.sandbox.read.join(", ")}` : "") +
            (launch.sandbox.write.length ? `; writes ${launch.sandbox.write.join(", ")}` : "")
        : "none: it runs with your rights",
    ),
  );
}

/** The notice of a source waiting for approval, with what it runs and *Approve and enable*. */
export function approvalPanel(source: SourceView, onApprove: () => void): HTMLElement | null {
  if (!waitsForApproval(source)) return null;
  return h(
    "div",
    { class: "banner approval", role: "status", "data-testid": "approval" },
    h("h2", {}, "Waiting for your approval"),
    h(
      "p",
      {},
      "This program came from outside (an import, a project's file or a link) and would run with your rights. Nothing has run yet. Check what it runs, then approve it.",
    ),
    launchFacts(source.launch),
    h("button", { class: "primary", "data-testid": "approve-source", onclick: () => onApprove() }, "Approve and enable"),
  );
}
