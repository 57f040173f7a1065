// PEM files: the certificates in one (other blocks, such as keys, are ignored).
// Only node: imports (none): bundled into the probe agent too.

export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}
