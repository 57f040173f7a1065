// The access URL this run checks when it is given directly: --access-url, else $CODER_ACCESS_URL
// (as Coder itself reads it), and the same for the wildcard; and --ca-bundle, a PEM file of CAs
// to trust besides the system roots (a private CA). What the values file gives Coder is read
// from the chart later (fact access-url.settings), so both can be compared.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { pemCertificates } from '../access/pem.ts';
import { ConfigError, fileProblem } from '../errors.ts';

export interface GivenUrl {
  value: string;
  where: '--access-url' | 'CODER_ACCESS_URL' | '--wildcard-access-url' | 'CODER_WILDCARD_ACCESS_URL';
}

export interface AccessTarget {
  url?: GivenUrl;
  wildcard?: GivenUrl;
  /** --ca-bundle: the file and its certificates (PEM each). */
  caBundle?: { file: string; pems: string[] };
  /** --upgrade-url: a WebSocket echo service behind the same proxy (before Coder runs there). */
  upgradeUrl?: string;
}

export interface AccessOptions {
  accessUrl?: string;
  wildcardAccessUrl?: string;
  caBundle?: string;
  upgradeUrl?: string;
}

export function resolveAccess(o: AccessOptions, env: NodeJS.ProcessEnv): AccessTarget {
  const out: AccessTarget = {};
  if (o.accessUrl !== undefined) out.url = { value: o.accessUrl, where: '--access-url' };
  else if (env.CODER_ACCESS_URL) out.url = { value: env.CODER_ACCESS_URL, where: 'CODER_ACCESS_URL' };
  if (o.wildcardAccessUrl !== undefined) out.wildcard = { value: o.wildcardAccessUrl, where: '--wildcard-access-url' };
  else if (env.CODER_WILDCARD_ACCESS_URL) out.wildcard = { value: env.CODER_WILDCARD_ACCESS_URL, where: 'CODER_WILDCARD_ACCESS_URL' };
  if (o.caBundle !== undefined) out.caBundle = readCaBundle(o.caBundle);
  if (o.upgradeUrl !== undefined) {
    let ok = false;
    try {
      ok = /^(https?|wss?):$/.test(new URL(o.upgradeUrl).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`--upgrade-url "${o.upgradeUrl}" is not an http(s) or ws(s) URL`, 'give the URL of a WebSocket echo service behind the same proxy as Coder, e.g. https://echo.coder.example.com/');
    out.upgradeUrl = o.upgradeUrl.replace(/^ws/, 'http');
  }
  return out;
}

function readCaBundle(file: string): { file: string; pems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read --ca-bundle ${file}: ${fileProblem(e)}`, 'give a PEM file with the CA certificate(s) that sign the access URL\'s certificate');
  }
  const pems = pemCertificates(text);
  if (!pems.length) throw new ConfigError(`--ca-bundle ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, 'give the CA certificate in PEM form (openssl x509 -in ca.der -inform der -out ca.pem)');
  pems.forEach((p, i) => {
    try {
      new X509Certificate(p);
    } catch {
      throw new ConfigError(`--ca-bundle ${file}: certificate ${i + 1} of ${pems.length} cannot be read`, 'give PEM certificates only (openssl x509 -in <file> -noout -text shows what is wrong)');
    }
  });
  return { file, pems };
}
