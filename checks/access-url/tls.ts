// Workspace agents (Go's crypto/x509), curl in the init script, VS Code and JetBrains (Node, Java)
// all verify the access URL's certificate, each against the trust store it has: a private CA, a
// self-signed certificate, a server that sends only its leaf (browsers fetch the intermediate via
// AIA and hide it; agents and curl do not) or a certificate without the wildcard's name break
// them while the dashboard may look fine (coder-install-failures.md §2.3 N2, rank 3).
import { defineCheck } from '../../src/engine/define.ts';
import { combine, type Finding } from '../../src/access/findings.ts';
import type { Evidence } from '../../src/engine/types.ts';
import { goHostnameMatches, type TlsCertificate } from '../../src/postgres/certificates.ts';
import type { AccessUrlReachFact } from '../../src/facts/access-url/reach.ts';
import { maskUserinfo } from '../../src/access/url.ts';
import { HANDSHAKE_FAILED, type TrustVerdict } from '../../src/access/types.ts';
import type { AccessUrlSettingsFact } from '../../src/facts/access-url/settings.ts';

const DAY_MS = 86_400_000;
const date = (iso: string) => iso.slice(0, 10);
const daysLeft = (c: TlsCertificate, at: string) => Math.floor((Date.parse(c.notAfter) - Date.parse(at)) / DAY_MS);
const cnOf = (dn: string) => /(?:^|, )CN=([^,]*)/.exec(dn)?.[1];
const names = (c: TlsCertificate | null | undefined) => (c?.subjectAltNames.length ? c.subjectAltNames.join(', ') : 'no subjectAltName');
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

const FULL_CHAIN = 'serve the full chain: the certificate followed by its intermediate(s) in the TLS Secret\'s tls.crt (cat server.crt intermediate.crt > tls.crt; with cert-manager, use the issuer\'s chain)';

function privateCaFix(s: AccessUrlSettingsFact): string {
  const v1 = s.profile === 'v1';
  return `put the CA certificate in a Secret in ${s.namespace} and ${v1 ? 'set certs.secret.name/key' : 'list it in coder.certs.secrets (name, key): the chart mounts it at /etc/ssl/certs/<name>.crt in Coder\'s pod'}, and add it to every workspace image's trust store (COPY ca.crt /usr/local/share/ca-certificates/ && update-ca-certificates), or the agent download in the init script fails`;
}


export default defineCheck({
  id: 'access-url.tls',
  title: 'The access URL\'s certificate verifies, names the host and the wildcard, and is not about to expire',
  category: 'access-url',
  facts: ['access-url.reach', 'access-url.settings'],
  defaults: {
    baseline: { warnDays: 30, source: 'coder-preflight: warn 30 days before a certificate expires (when ACME clients renew 90-day certificates)' },
  },
  docs: 'https://coder.com/docs/admin/setup#tls--reverse-proxy',
  explain: {
    what: 'From this machine, a TLS handshake with the access URL\'s host (its SNI) shows the certificates the server sends; OpenSSL verifies them against this machine\'s system roots and --ca-bundle, again with the system roots alone (a private CA?) and with only the bundle\'s root CAs (does the server send its intermediate?). The host and a random name under the wildcard access URL must be subjectAltNames by Go\'s rules (the CN never counts); every certificate in the chain is checked for expiry.',
    why: 'Agents download their binary with curl and connect with Go; IDE extensions use Node and Java. None of them fetch a missing intermediate (browsers do, via AIA, so the dashboard looks fine), none trust a private CA their image does not carry, and Coder\'s own health check requests its access URL (EACS03 "x509: certificate signed by unknown authority"). Apps on the wildcard need a certificate that covers it (ERR_CERT_COMMON_NAME_INVALID otherwise).',
    fix: 'Serve the full chain (certificate + intermediates in tls.crt); issue the certificate with subjectAltNames for the host and *.<wildcard domain>; renew before it expires; for a private CA, list it in coder.certs.secrets and add it to the workspace images.',
  },
  evaluate({ 'access-url.reach': r, 'access-url.settings': s }: { 'access-url.reach': AccessUrlReachFact; 'access-url.settings': AccessUrlSettingsFact }, { options }) {
    const vantage = r.vantage;
    const server = `${r.host}:${r.port}`;
    const url = maskUserinfo(r.url);
    if (r.scheme === 'http') return { status: 'skip', summary: `The access URL ${url} is http: there is no certificate to check (access-url.config says whether http is right)`, evidence: { url: url }, vantage };
    const t = r.tls;
    if (!t) return { status: 'error', summary: `No certificate seen: the walk to ${server} from ${vantage} stopped at ${r.failedAt === 'dns' ? 'DNS' : 'TCP'}, before TLS (access-url.reachability names the cause)`, remediation: 'see access-url.reachability', evidence: { url: url, stoppedAt: r.failedAt }, vantage };
    if (!t.ok) return { status: 'error', summary: `No certificate seen: the TLS handshake with ${server} failed from ${vantage} (${t.error?.code}: ${t.error?.message}); access-url.reachability names the cause`, remediation: 'see access-url.reachability', evidence: { url: url, tlsError: t.error?.code ?? null }, vantage };
    const leaf = t.sent[0];
    if (!leaf) return { status: 'error', summary: `The TLS handshake with ${server} showed no certificate`, remediation: 'run again with --debug and report it', evidence: { url: url }, vantage };
    const v = t.verify;
    // A verifying handshake that did not complete gives no verdict: never a pass on it.
    const looks: [string, TrustVerdict | null][] = [['the verifying handshake', v], ['the handshake against the system roots alone', t.systemOnly], ['the handshake against the bundle\'s root CAs alone', t.anchorsOnly]];
    const broken = looks.find(([, x]) => x?.error?.startsWith(HANDSHAKE_FAILED));
    if (!v || broken) {
      const why = broken ? `${broken[0]} did not complete (${broken[1]!.error!.slice(HANDSHAKE_FAILED.length)})` : 'no verifying handshake';
      return { status: 'error', summary: `Could not decide whether ${server}'s certificate verifies: ${why}, although the first one did`, remediation: 'run again; a server or proxy that drops some connections would explain it', evidence: { url, server }, vantage };
    }
    const chain = v?.chain.length ? v.chain : t.sent;
    const warnDays = options.warnDays;
    const f: Finding[] = [];
    const bundle = s.caBundle ? `--ca-bundle ${s.caBundle.file}` : null;
    const trustedBy = v?.verified ? (t.systemOnly && !t.systemOnly.verified ? `${bundle} (not the system roots)` : `this machine's system roots${bundle ? ` (and ${bundle})` : ''}`) : 'nothing here';
    const issuer = cnOf(leaf.issuer) ?? leaf.issuer;
    const last = t.sent[t.sent.length - 1]!;
    const aia = t.aiaIssuers.length ? `; browsers fetch the missing one from its AIA URL (${t.aiaIssuers[0]}) and hide the problem` : '';

    // Trust.
    if (v && !v.verified) {
      const e = v.error ?? 'unknown';
      if (e === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
        f.push({ status: 'fail', summary: `The certificate of ${server} is self-signed (${leaf.subject}): agents, curl and IDE extensions refuse it`, remediation: `issue it from a CA (a public one, e.g. Let's Encrypt via cert-manager, or your private CA: then ${privateCaFix(s)})` });
      } else if (e === 'CERT_HAS_EXPIRED' || e === 'CERT_NOT_YET_VALID') {
        // Told with the dates below.
      } else if (e === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' && t.sent.length === 1) {
        f.push({
          status: 'fail',
          summary: `${server} sends only its own certificate, not the intermediate that signed it (${issuer}), which ${bundle ? `neither the system roots nor ${bundle} hold` : 'the system roots do not hold'}: Go (the agent), curl and Node fail with "unable to verify the first certificate"${aia}${bundle ? '' : ' — or the issuer is a private CA: pass --ca-bundle with it to tell'}`,
          remediation: FULL_CHAIN,
        });
      } else if (e === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' || e === 'SELF_SIGNED_CERT_IN_CHAIN' || e === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || e === 'UNABLE_TO_GET_ISSUER_CERT') {
        const root = e === 'SELF_SIGNED_CERT_IN_CHAIN' ? last.subject : last.issuer;
        f.push({
          status: 'fail',
          summary: `The certificate of ${server} chains to ${cnOf(root) ?? root}, a CA ${bundle ? `that neither the system roots nor ${bundle} hold` : 'this machine does not trust'} (${e}): agents, curl and IDE extensions fail with "certificate signed by unknown authority"${bundle ? '' : '; for a private CA, pass --ca-bundle with it'}`,
          remediation: `if it is your private CA: ${privateCaFix(s)}; otherwise serve a certificate from a public CA`,
        });
      } else {
        f.push({ status: 'fail', summary: `The certificate chain of ${server} does not verify (${e})`, remediation: 'serve a certificate with a complete chain from a trusted CA' });
      }
    } else if (v?.verified) {
      if (t.anchorsOnly && !t.anchorsOnly.verified) {
        f.push({ status: 'fail', summary: `${server} sends ${t.sent.length === 1 ? 'only its own certificate' : `${plural(t.sent.length, 'certificate')} but not the intermediate`}: it verified here only because ${bundle} holds the intermediate (${issuer}); agents, curl and Node elsewhere fail with "unable to verify the first certificate"${aia}`, remediation: FULL_CHAIN });
      }
      if (t.systemOnly && !t.systemOnly.verified) {
        const mounted = s.frontDoor?.caSecrets ?? [];
        if (!mounted.length) {
          f.push({
            status: 'warn',
            summary: `The certificate of ${server} is from a private CA (only ${bundle} trusts it)${s.frontDoor ? `, and the values mount no CA into Coder (${s.profile === 'v1' ? 'certs.secret' : 'coder.certs.secrets'} is empty)` : ', and no values say whether Coder gets it'}: Coder's own health check of the access URL fails (x509: certificate signed by unknown authority), and workspaces fail the agent download unless their images trust it`,
            remediation: privateCaFix(s),
          });
        }
      }
    }

    // Names, by Go's rules.
    if (!goHostnameMatches(r.host, leaf)) {
      const cn = cnOf(leaf.subject);
      const cnNote = cn && cn.toLowerCase() === r.host.toLowerCase() ? ` (its CN is ${cn}, but Go never uses the CN)` : '';
      f.push({ status: 'fail', summary: `${r.host} is not a name of the certificate ${server} serves (${names(leaf)})${cnNote}: clients refuse it`, remediation: `reissue the certificate with subjectAltName=${/^[\d.]+$|:/.test(r.host) ? 'IP' : 'DNS'}:${r.host}` });
    }
    const w = r.wildcard;
    let wildcardEvidence: Evidence = {};
    if (w && !w.problem && w.sample) {
      wildcardEvidence = { wildcard: w.pattern, wildcardSample: w.sample };
      if (!w.tls) {
        /* http: nothing to check */
      } else if (!w.tls.ok || !w.tls.leaf) {
        f.push({ status: 'warn', summary: `No certificate seen for the wildcard: the TLS handshake for ${w.sample} at ${w.tls.address} failed (${w.tls.error?.code ?? 'no certificate'})`, remediation: 'see access-url.reachability' });
      } else {
        const covered = goHostnameMatches(w.sample, w.tls.leaf);
        wildcardEvidence = { ...wildcardEvidence, wildcardCertificate: w.tls.leaf.subject, wildcardNames: w.tls.leaf.subjectAltNames, wildcardCovered: covered };
        if (!covered) {
          const domain = w.sample.slice(w.sample.indexOf('.') + 1);
          f.push({ status: 'fail', summary: `The certificate served for apps on the wildcard ${w.pattern} (asked for ${w.sample}) does not cover it (${names(w.tls.leaf)}): browsers refuse every app URL (ERR_CERT_COMMON_NAME_INVALID)`, remediation: `add subjectAltName DNS:*.${domain} to the certificate (or serve a wildcard certificate for it: coder.ingress.tls.wildcardSecretName, or a second entry in coder.tls.secretNames)` });
        } else if (w.tls.verify && !w.tls.verify.verified && v?.verified) {
          f.push({ status: 'fail', summary: `The certificate served for the wildcard ${w.pattern} does not verify (${w.tls.verify.error})`, remediation: 'serve the wildcard certificate with its full chain from a trusted CA' });
        }
      }
    }

    // Dates, every certificate of the chain.
    const at = r.collectedAt;
    chain.forEach((c, i) => {
      const which = i === 0 ? `The certificate of ${server}` : `Its issuer's certificate (${cnOf(c.subject) ?? c.subject})`;
      const days = daysLeft(c, at);
      const ago = Math.floor((Date.parse(at) - Date.parse(c.notAfter)) / DAY_MS);
      if (Date.parse(c.notBefore) > Date.parse(at)) f.push({ status: 'fail', summary: `${which} is not valid before ${date(c.notBefore)}`, remediation: 'check the issuing CA\'s clock, or wait; clients refuse it until then' });
      else if (days < 0) f.push({ status: 'fail', summary: `${which} expired on ${date(c.notAfter)} (${ago < 1 ? 'less than a day' : plural(ago, 'day')} ago): every client refuses it`, remediation: 'renew it now and automate the renewal (cert-manager)' });
      else if (days < warnDays) f.push({ status: 'warn', summary: `${which} expires in ${plural(days, 'day')} (${date(c.notAfter)}, under ${warnDays})`, remediation: `renew it before ${date(c.notAfter)} and automate the renewal (cert-manager)` });
    });

    const evidence: Evidence = {
      url: url,
      server,
      servername: t.servername,
      protocol: t.protocol,
      cipher: t.cipher,
      subject: leaf.subject,
      issuer: leaf.issuer,
      subjectAltNames: leaf.subjectAltNames,
      notAfter: leaf.notAfter,
      daysLeft: daysLeft(leaf, at),
      chainSent: t.sent.map((c) => c.subject),
      chainVerified: v?.verified ?? null,
      chainError: v?.error ?? null,
      trustedBy,
      roots: `${r.roots.source} (${r.roots.count})`,
      ...(t.aiaIssuers.length ? { aia: t.aiaIssuers } : {}),
      ...(s.frontDoor ? { caSecretsMounted: s.frontDoor.caSecrets } : {}),
      ...wildcardEvidence,
      checkedAt: at,
    };
    if (f.length) return combine(f, evidence, vantage);
    const privateCa = t.systemOnly && !t.systemOnly.verified;
    return {
      status: 'pass',
      summary:
        `The certificate of ${server} verifies against ${trustedBy}, with the chain sent whole (${plural(t.sent.length, 'certificate')}), names ${r.host}` +
        `${w?.sample && w.tls ? ` and the wildcard ${w.pattern}` : ''}, and expires in ${plural(daysLeft(leaf, at), 'day')} (${date(leaf.notAfter)})` +
        `${privateCa ? `; a private CA, mounted into Coder (${s.frontDoor!.caSecrets.join(', ')}): workspace images must trust it too` : ''}`,
      evidence,
      vantage,
    };
  },
});
