// Sample wire values for tests, one per state the views must handle.
import type { SourceView } from "../api";

export function source(overrides: Partial<SourceView> = {}): SourceView {
  return {
    id: "everything",
    name: "Everything",
    enabled: true,
    transport: "stdio",
    target: "node server.js",
    auth: "none",
    state: { kind: "ready" },
    hint: null,
    ...overrides,
  };
}

export const disabled = () =>
  source({
    enabled: false,
    state: { kind: "disabled" },
    hint: "enable it with `lanyard profile edit everything --enable`",
  });
export const needsSignIn = () =>
  source({
    id: "github",
    name: "GitHub",
    transport: "http",
    target: "https://api.example.com/mcp",
    auth: "oauth",
    state: { kind: "needsSignIn" },
    hint: "run `lanyard connect github`",
  });
