// Every browser, CLI and workspace agent reaches Coder at CODER_ACCESS_URL: the agent's init script
// downloads ${ACCESS_URL}bin/coder-linux-<arch> and then connects back there. Without one the v2
// chart sets http://coder.<ns>.svc.cluster.local, which nothing outside the cluster resolves
// (coder-install-failures.md §2.3 N1, the most reported install failure); Coder's docs: "This
// should not be localhost" (docs/admin/setup). The URL's scheme and port must match how the
// Service or Ingress the chart creates terminates TLS, and CODER_WILDCARD_ACCESS_URL must be a
// pattern Coder accepts (appurl.CompileHostnamePattern) that an Ingress routes and a certificate covers.
import { defineCheck } from '../../src/engine/define.ts';
import { combine, type Finding } from '../../src/access/findings.ts';
import type { Evidence } from '../../src/engine/types.ts';
import { ruleMatches, type FrontDoor, type FrontDoorIngress, type ServicePort, type UrlSetting } from '../../src/access/front-door.ts';
import { hostKind, ingressWildcardHost, maskUserinfo, parseAccessUrl, parseWildcard, type ParsedAccessUrl } from '../../src/access/url.ts';
import type { AccessUrlSettingsFact } from '../../src/facts/access-url/settings.ts';

/** Load balancer annotations that make the cloud's load balancer terminate TLS itself. */
const LB_TLS_ANNOTATIONS = ['service.beta.kubernetes.io/aws-load-balancer-ssl-cert', 'service.beta.kubernetes.io/do-loadbalancer-certificate-id', 'service.beta.kubernetes.io/oci-load-balancer-ssl-ports', 'load-balancer.hetzner.cloud/http-certificates'];

const SET_URL = 'set CODER_ACCESS_URL in coder.env to the external https URL users and workspaces reach Coder at (coder.env: [{name: CODER_ACCESS_URL, value: "https://coder.example.com"}]), with a DNS record for it pointing at the load balancer or Ingress';

const covers = (ing: FrontDoorIngress, host: string) => ing.tls.filter((t) => t.hosts.some((h) => ruleMatches(h, host)));

const sameUrl = (a: string, b: string) => {
  const pa = parseAccessUrl(a);
  const pb = parseAccessUrl(b);
  return pa.ok && pb.ok ? pa.url.scheme === pb.url.scheme && pa.url.host === pb.url.host && pa.url.port === pb.url.port && pa.url.path === pb.url.path : a === b;
};


/** The URL-level findings: things wrong with the URL whatever stands in front of Coder. */
function urlFindings(u: ParsedAccessUrl, where: string): Finding[] {
  const f: Finding[] = [];
  const name = `The access URL ${u.display} (${where})`;
  if (u.userinfo) f.push({ status: 'fail', summary: `${name} carries a user name or password: Coder writes the access URL into every workspace's init script and into links`, remediation: 'drop the user:password@ part; Coder authenticates with its own session tokens' });
  if (u.path) f.push({ status: 'fail', summary: `${name} has a path (${u.path}): Coder serves from the root of its host, and the agent's init script resolves the access URL against "/" (terraform-provider-coder), so workspaces download ${u.scheme}://${u.authority}/bin/coder-linux-amd64 outside ${u.path}`, remediation: `give Coder a host of its own (e.g. ${u.scheme}://coder.${u.host}) and drop the path` });
  if (u.query || u.fragment) f.push({ status: 'warn', summary: `${name} has a ${u.query ? 'query' : 'fragment'}: Coder builds every link and the agent's URL from it`, remediation: 'drop the ?… / #… part' });
  switch (u.hostKind) {
    case 'loopback':
    case 'unspecified':
      f.push({ status: 'fail', summary: `${name} names this machine (${u.host} is ${u.hostKind}): every browser and workspace resolves it to itself, not to Coder (Coder warns at start-up that it "isn't externally reachable")`, remediation: SET_URL });
      break;
    case 'cluster-internal':
      f.push({ status: 'fail', summary: `${name} is a cluster-internal name: browsers and workspaces outside the cluster cannot resolve ${u.host}`, remediation: SET_URL });
      break;
    case 'documentation-name':
    case 'documentation-ip':
      f.push({ status: 'fail', summary: `${name} is a documentation placeholder (${u.host}, RFC 2606/5737), not an address anyone reaches`, remediation: SET_URL });
      break;
    case 'public-name':
    case 'public-ip':
      if (u.scheme === 'http') f.push({ status: 'warn', summary: `${name} is plain HTTP on a public ${u.hostKind === 'public-ip' ? 'address' : 'name'}: session tokens and workspace traffic cross the network unencrypted, and browsers deny secure-context features (clipboard in the web terminal, service workers in apps)`, remediation: `serve Coder over TLS (an Ingress with tls, or coder.tls.secretNames) and set CODER_ACCESS_URL to https://${u.authority}` });
      break;
    default:
      break;
  }
  return f;
}

interface Route {
  words: string;
  tlsAt: string;
}

/** How the chart's objects carry a request for `u` to Coder, and what is wrong on the way. */
function routeFindings(u: ParsedAccessUrl, fd: FrontDoor, f: Finding[]): Route {
  const ings = fd.ingresses.filter((i) => i.hosts.some((h) => ruleMatches(h, u.host)));
  if (ings.length) {
    const ing = ings[0]!;
    const tlsFor = covers(ing, u.host);
    if (ing.authAnnotation) f.push({ status: 'warn', summary: `The Ingress ${ing.name} sends requests for ${u.host} through an authenticating proxy first (${ing.authAnnotation}): workspace agents have no browser session, so their download of bin/coder-linux-amd64 and their API calls get a login page instead`, remediation: `exempt Coder's host (or at least /bin/, /api/ and /derp) from the proxy's authentication; Coder authenticates users itself (OIDC)` });
    if (u.portGiven && u.port !== (u.scheme === 'https' ? 443 : 80)) f.push({ status: 'warn', summary: `The access URL's port is ${u.port}, but Ingress controllers listen on 80 and 443`, remediation: `drop the port from the access URL, unless the controller's own Service maps ${u.port}` });
    if (u.scheme === 'https' && (!tlsFor.length || tlsFor.every((t) => !t.secretName))) {
      f.push({ status: 'warn', summary: `The Ingress ${ing.name} routes ${u.host} but has no tls${tlsFor.length ? ' Secret' : ''} for it: the controller answers https with its default certificate (ingress-nginx: "Kubernetes Ingress Controller Fake Certificate") unless TLS ends in front of it`, remediation: 'set coder.ingress.tls.enable: true and coder.ingress.tls.secretName to a Secret with a certificate for the host (cert-manager can issue it)' });
      return { words: `Ingress ${ing.name}${ing.className ? ` (class ${ing.className})` : ''}`, tlsAt: 'nowhere the chart sets up' };
    }
    if (u.scheme === 'http' && tlsFor.length && ing.sslRedirect !== false) {
      f.push({ status: 'warn', summary: `The access URL is http, but the Ingress ${ing.name} has TLS for ${u.host}: ingress-nginx then redirects http to https (ssl-redirect), and agents' WebSocket connections to the http URL do not follow redirects`, remediation: `set CODER_ACCESS_URL to https://${u.authority}` });
    }
    return { words: `Ingress ${ing.name}${ing.className ? ` (class ${ing.className})` : ''}`, tlsAt: u.scheme === 'https' ? `the Ingress (Secret ${tlsFor[0]!.secretName})` : 'none (http)' };
  }
  if (fd.ingresses.length) {
    f.push({ status: 'warn', summary: `No Ingress routes ${u.host}: the Ingress ${fd.ingresses.map((i) => `${i.name} routes ${i.hosts.map((h) => h || '*').join(', ')}`).join('; ')}`, remediation: `set coder.ingress.host to ${u.host} (or CODER_ACCESS_URL to the Ingress host)` });
  }
  const svc = fd.services.find((s) => s.name === 'coder' || s.name === 'coderd') ?? fd.services[0];
  if (!svc) {
    f.push({ status: 'warn', summary: `Nothing the chart creates answers at ${u.host}: no Service (coder.service.enable is false) and no Ingress for it`, remediation: 'enable coder.service or coder.ingress, or route the host to Coder\'s pods (port 8080, 8443 with TLS) with your own Service/Gateway' });
    return { words: 'none', tlsAt: 'unknown' };
  }
  const lbTls = svc.annotations.find((a) => LB_TLS_ANNOTATIONS.includes(a));
  const ports = svc.ports.map((p) => `${p.port}${svc.type === 'NodePort' ? ` (node port ${p.nodePort ?? 'random'})` : ''} → ${p.target}${p.tls ? ' (TLS)' : ''}`).join(', ');
  if (svc.type === 'ClusterIP') {
    f.push({ status: 'warn', summary: `The Service ${svc.name} is ClusterIP and no Ingress routes ${u.host}: nothing the chart creates is reachable from outside the cluster`, remediation: 'use coder.service.type LoadBalancer, or an Ingress (coder.ingress.enable), unless your own proxy or Gateway routes the host to the Service' });
    return { words: `Service ${svc.name} (ClusterIP: ${ports})`, tlsAt: 'unknown' };
  }
  const nodePort = svc.type === 'NodePort';
  const port: ServicePort | undefined = svc.ports.find((p) => (nodePort ? p.nodePort === u.port : p.port === u.port));
  const wanted = svc.ports.find((p) => (u.scheme === 'https' ? p.tls : !p.tls));
  if (!port) {
    if (nodePort && wanted && wanted.nodePort === null) {
      f.push({ status: 'warn', summary: `The Service ${svc.name} is NodePort and its ${wanted.name} node port is assigned at random on install, so the access URL's port ${u.port} will not be it`, remediation: `set coder.service.${wanted.tls ? 'httpsNodePort' : 'httpNodePort'}: ${u.port} (30000–32767)` });
    } else {
      const fix = wanted ? `use port ${nodePort ? (wanted.nodePort ?? wanted.port) : wanted.port} in the access URL` : u.scheme === 'https' ? 'serve TLS where the access URL points: coder.tls.secretNames adds 443 → 8443 to the Service, or use an Ingress with tls' : 'match the access URL\'s port to the Service';
      f.push({ status: 'warn', summary: `The access URL's port is ${u.port}, but the Service ${svc.name} (${svc.type}) listens on ${ports}`, remediation: fix });
    }
    return { words: `Service ${svc.name} (${svc.type}: ${ports})`, tlsAt: lbTls ? `the load balancer (${lbTls})` : fd.coderTls.enabled ? 'Coder (coder.tls.secretNames)' : 'nowhere the chart sets up' };
  }
  if (u.scheme === 'https' && !port.tls && !lbTls) {
    f.push({ status: 'warn', summary: `The access URL is https, but port ${u.port} of the Service ${svc.name} goes to Coder's plain HTTP listener (${port.target}) and nothing the chart creates terminates TLS: clients get a handshake error unless a load balancer or proxy outside the chart does`, remediation: `serve TLS: coder.tls.secretNames (the Service gets 443 → 8443), an Ingress with tls, or a load balancer that terminates TLS (${LB_TLS_ANNOTATIONS[0]})` });
  }
  if (u.scheme === 'http' && port.tls) {
    f.push({ status: 'warn', summary: `The access URL is http, but port ${u.port} of the Service ${svc.name} goes to Coder's TLS listener (${port.target}): plain HTTP requests there fail`, remediation: `set CODER_ACCESS_URL to https://${u.authority}` });
  }
  if (u.scheme === 'http' && !port.tls && fd.coderTls.enabled) {
    f.push({ status: 'warn', summary: `Coder serves TLS (coder.tls.secretNames: ${fd.coderTls.secrets.join(', ')}), but the access URL is http: every client keeps using plain HTTP`, remediation: `set CODER_ACCESS_URL to https://${u.host}` });
  }
  return {
    words: `Service ${svc.name} (${svc.type}, port ${nodePort ? `node port ${u.port}` : u.port} → ${port.target})`,
    tlsAt: u.scheme === 'http' ? 'none (http)' : port.tls ? `Coder (coder.tls.secretNames: ${fd.coderTls.secrets.join(', ')})` : lbTls ? `the load balancer (${lbTls})` : 'nowhere the chart sets up',
  };
}

function wildcardFindings(w: UrlSetting, u: ParsedAccessUrl | undefined, fd: FrontDoor | null, f: Finding[]): string | null {
  if (w.value === null) return `from ${w.where} (not read here)`;
  const p = parseWildcard(w.value);
  if (!p.ok) {
    f.push({ status: 'fail', summary: `Coder refuses the wildcard access URL ${w.value} (${w.where}) and does not start: ${p.problem}`, remediation: 'write it as *.<domain> (e.g. *.coder.example.com), no scheme, one asterisk at the start' });
    return null;
  }
  const { domain } = p.wildcard;
  const kind = hostKind(domain);
  if (p.wildcard.badPort !== undefined) f.push({ status: 'warn', summary: `The wildcard access URL ${w.value} (${w.where}) has "${p.wildcard.badPort}" after its colon: Coder accepts it (Go's SplitHostPort takes it as the port) and builds every app link with it`, remediation: 'write the wildcard as *.<domain>, with :<number> only if apps are served on another port' });
  else if (!domain.includes('.')) f.push({ status: 'warn', summary: `The wildcard access URL ${w.value} is a wildcard on a top-level domain (.${domain}): browsers treat it as a public suffix and refuse the cookies Coder's apps need, and no public CA issues *.${domain}`, remediation: `use a subdomain you own, e.g. *.coder.<your domain> (Coder's docs advise against top-level domains, even with split DNS)` });
  else if (kind === 'documentation-name') f.push({ status: 'fail', summary: `The wildcard access URL ${w.value} (${w.where}) is under a documentation placeholder domain (${domain})`, remediation: 'use a wildcard subdomain of a domain you own with a DNS record for it' });
  else if (kind === 'loopback' || kind === 'cluster-internal') f.push({ status: 'fail', summary: `The wildcard access URL ${w.value} (${w.where}) is under ${kind === 'loopback' ? 'a loopback' : 'a cluster-internal'} domain: browsers cannot reach apps there`, remediation: 'use a wildcard subdomain of the domain users reach Coder at' });
  if (fd && u) {
    const ingHost = ingressWildcardHost(p.wildcard.pattern);
    const sample = `x${p.wildcard.labelSuffix}.${domain}`;
    const accessIngress = fd.ingresses.find((i) => i.hosts.some((h) => h !== '' && ruleMatches(h, u.host)));
    if (accessIngress) {
      const routes = fd.ingresses.some((i) => i.hosts.some((h) => ruleMatches(h, sample)));
      if (!routes) f.push({ status: 'warn', summary: `No Ingress routes the wildcard ${ingHost}: apps on ${w.value} reach the controller's default backend (404), not Coder`, remediation: `set coder.ingress.wildcardHost: "${p.wildcard.pattern}"` });
      else if (u.scheme === 'https' && !fd.ingresses.some((i) => covers(i, sample).some((t) => t.secretName))) f.push({ status: 'warn', summary: `The Ingress has no TLS for the wildcard ${ingHost}: apps on ${w.value} get the controller's default certificate`, remediation: 'set coder.ingress.tls.wildcardSecretName to a Secret with a certificate for the wildcard (it may be the same Secret, if its certificate names both)' });
    }
  }
  return p.wildcard.pattern;
}

export default defineCheck({
  id: 'access-url.config',
  title: 'The access URL is one users and workspaces can reach, and matches how the chart serves it',
  category: 'access-url',
  facts: ['access-url.settings'],
  docs: 'https://coder.com/docs/admin/setup#access-url',
  explain: {
    what: 'Reads the access URL Coder will get (CODER_ACCESS_URL in coder.env as the chart renders it, the chart\'s own default included; for the v1 chart the host of ingress.host; or --access-url / $CODER_ACCESS_URL) and the wildcard (CODER_WILDCARD_ACCESS_URL, v1 coderd.devurlsHost), and compares them with the Service, Ingress and TLS settings the chart renders. Nothing is contacted (access-url.reachability and access-url.tls do that).',
    why: 'Workspaces download the agent from the access URL and connect back to it; browsers, OAuth callbacks and the CLI use it too. The chart\'s default, http://coder.<namespace>.svc.cluster.local, only resolves inside the cluster; a loopback host names each client itself; a path is dropped by the agent\'s init script; http on a public name sends session tokens in clear text; a scheme or port that does not match the Service or Ingress reaches nothing or the wrong listener; Coder refuses to start on a malformed wildcard, and apps on a wildcard the Ingress does not route get a 404.',
    fix: 'Set CODER_ACCESS_URL in coder.env to the external https URL (a host of its own, no path, no credentials) that a DNS record points at your load balancer or Ingress; serve TLS there (coder.ingress.tls or coder.tls.secretNames); set CODER_WILDCARD_ACCESS_URL to *.<a subdomain you own> and route it (coder.ingress.wildcardHost, tls.wildcardSecretName).',
  },
  evaluate({ 'access-url.settings': s }: { 'access-url.settings': AccessUrlSettingsFact }) {
    const fd = s.frontDoor;
    // What Coder itself will get wins over what this run was told, when the chart says it.
    const chart = s.chartAccessUrl;
    const effective: UrlSetting = chart && (chart.kind === 'chart-default' || chart.kind === 'values') ? chart : s.accessUrl;
    const base: Evidence = {
      accessUrl: effective.value === null ? null : maskUserinfo(effective.value),
      where: effective.where,
      frontDoor: fd?.source ?? s.frontDoorNote,
      ...(s.wildcard ? { wildcard: s.wildcard.value, wildcardWhere: s.wildcard.where } : {}),
    };
    const f: Finding[] = [];
    if (chart && s.accessUrl.value !== null && chart.value !== null && chart.kind === 'values' && !sameUrl(chart.value, s.accessUrl.value)) {
      f.push({ status: 'warn', summary: `${s.accessUrl.where} says ${maskUserinfo(s.accessUrl.value)}, but Coder will get ${maskUserinfo(chart.value)} (${chart.where})`, remediation: 'make the values file say the URL you mean; the other checks reach the one this run was given' });
    }
    if (effective.value === null) {
      if (effective.kind === 'reference') return { status: 'skip', summary: `The access URL comes from ${effective.where}, which is not read here`, remediation: 'pass --access-url with its value to check it', evidence: base };
      if (effective.kind === 'none' && fd && fd.envFrom.length && !s.accessUrl.value) return { status: 'skip', summary: `CODER_ACCESS_URL is not in the container's env; ${effective.where}`, remediation: 'pass --access-url with the value the Secret holds to check it', evidence: base };
      if (effective.kind === 'none' && fd && s.profile !== 'v1') {
        return { status: 'fail', summary: `Coder gets no access URL (${effective.where}): it then opens a tunnel through Coder's public relay (*.try.coder.app), which needs egress there and is not meant for production`, remediation: SET_URL, evidence: base };
      }
      return { status: 'skip', summary: `No access URL to judge: ${effective.where}`, remediation: 'pass --access-url, or --values with CODER_ACCESS_URL in coder.env', evidence: base };
    }
    if (effective.kind === 'chart-default') {
      const envFromNote = fd?.envFrom.length ? `; coder.envFrom (${fd.envFrom.join(', ')}) cannot change it: the chart's env entry wins over envFrom — set coder.envUseClusterAccessURL: false if the URL is there` : '';
      f.push({ status: 'fail', summary: `CODER_ACCESS_URL is the chart's default ${effective.value}: only pods in the cluster resolve it, so browsers, the CLI and workspaces outside the cluster cannot reach Coder${envFromNote}`, remediation: SET_URL });
      return combine(f, base);
    }
    const parsed = parseAccessUrl(effective.value);
    if (!parsed.ok) {
      f.push({ status: 'fail', summary: `The access URL (${effective.where}) cannot be used: ${parsed.problem}`, remediation: SET_URL });
      return combine(f, base);
    }
    const u = parsed.url;
    f.push(...urlFindings(u, effective.where));
    let route: Route | undefined;
    if (fd && (u.hostKind !== 'loopback' && u.hostKind !== 'cluster-internal')) route = routeFindings(u, fd, f);
    const w = s.chartWildcard && s.chartWildcard.kind === 'values' ? s.chartWildcard : s.wildcard;
    if (s.chartWildcard && s.chartWildcard.value && s.wildcard?.value && s.chartWildcard.value !== s.wildcard.value) {
      f.push({ status: 'warn', summary: `${s.wildcard.where} says ${s.wildcard.value}, but Coder will get ${s.chartWildcard.value} (${s.chartWildcard.where})`, remediation: 'make the values file say the wildcard you mean' });
    }
    const wildcard = w ? wildcardFindings(w, u, fd, f) : null;
    const evidence: Evidence = {
      ...base,
      scheme: u.scheme,
      host: u.host,
      port: u.port,
      hostKind: u.hostKind,
      ...(route ? { route: route.words, tlsTerminatedBy: route.tlsAt } : {}),
      ...(fd ? { coderTls: fd.coderTls.enabled, caSecrets: fd.caSecrets } : {}),
    };
    if (f.length) return combine(f, evidence);
    const where = route ? `; ${route.words} carries it${u.scheme === 'https' ? `, TLS ends at ${route.tlsAt}` : ''}` : ` (${s.frontDoorNote ?? 'no chart to compare with'})`;
    return {
      status: 'pass',
      summary: `The access URL ${u.display} (${effective.where}) is an ${u.scheme} URL Coder and its clients can use${where}${wildcard ? `; the wildcard ${wildcard} is one Coder accepts` : ''}`,
      evidence,
    };
  },
});
