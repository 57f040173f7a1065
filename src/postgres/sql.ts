// SQL text for remediations: an identifier as a statement needs it (quoted unless it is a plain
// lower-case name), so the statement a check suggests runs as pasted.
export function sqlIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
