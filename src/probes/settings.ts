// What the user asked the probes to do: which probes run (--active / --probe, or the config
// file's probes.*), the image their pods run (with a registry prefix for mirrors and air-gapped
// clusters) and the pull Secret. Pure parsing; nothing here touches the cluster.
import { ConfigError } from '../errors.ts';
import { suggest } from '../suggest.ts';

/** A stock Node image (Debian slim, glibc): the agent is one bundled file mounted from a ConfigMap. */
export const DEFAULT_PROBE_IMAGE = 'docker.io/library/node:24-slim';

export interface ProbeSettings {
  /** Probe names to run (never empty: no settings at all when nothing is selected). */
  selected: readonly string[];
  /** The image reference probe pods run, registry prefix applied. */
  image: string;
  /** Where the image came from, for the evidence. */
  imageSource: string;
  /** An image pull Secret, copied into the scratch namespace (pods can only use one from their own namespace). */
  pullSecret?: { namespace: string; name: string };
  /** The endpoints the egress probe walks to, when given (--egress-endpoint, probes.egress): they replace the defaults. */
  egress?: { endpoints: string[]; source: string };
}

export interface ProbeConfig {
  /** Run every probe (like --active). */
  active?: boolean;
  /** Probes to run (like --probe). */
  enabled?: string[];
  image?: string;
  pullSecret?: string;
  registry?: string;
  /** The egress probe's endpoints (replace the defaults). */
  egress?: string[];
}

export interface ProbeFlags {
  active?: boolean;
  probe?: string[];
  'probe-image'?: string;
  'probe-pull-secret'?: string;
  'probe-registry'?: string;
  'egress-endpoint'?: string[];
}

/**
 * `image` pulled through `registry` instead of its own: the registry part of the reference is
 * replaced (Docker Hub's implicit "library/" made explicit), e.g. node:24-slim through
 * mirror.corp/dockerhub → mirror.corp/dockerhub/library/node:24-slim.
 */
export function withRegistry(image: string, registry: string): string {
  const prefix = registry.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const parts = image.split('/');
  const hasHost = parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost');
  const rest = hasHost ? parts.slice(1) : parts;
  const path = rest.length === 1 && (!hasHost || parts[0] === 'docker.io') ? ['library', ...rest] : rest;
  return `${prefix}/${path.join('/')}`;
}

const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function parsePullSecret(v: string, where: string, namespace: string): { namespace: string; name: string } {
  const [a, b, extra] = v.split('/');
  const ns = b === undefined ? namespace : a!;
  const name = b === undefined ? a! : b;
  if (extra !== undefined || !DNS_NAME.test(ns) || !DNS_NAME.test(name)) throw new ConfigError(`${where} "${v}" is not a Secret name`, 'give <name> (in the --namespace) or <namespace>/<name> of a kubernetes.io/dockerconfigjson Secret');
  return { namespace: ns, name };
}

/** The probe settings for a run, or undefined when no probe is asked for. `known`: every probe's name. */
export function probeSettings(flags: ProbeFlags, config: ProbeConfig | undefined, known: readonly string[], namespace: string): ProbeSettings | undefined {
  const asked = flags.probe ?? config?.enabled;
  const askedFrom = flags.probe ? '--probe' : 'probes.enabled in the config file';
  const names = (asked ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!known.includes(n)) {
      const near = suggest(n, [...known]);
      throw new ConfigError(`${askedFrom} "${n}" is not a probe${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`, `the probes are ${known.join(', ')}; --active runs them all`);
    }
  }
  const all = flags.active ?? config?.active ?? false;
  const selected = all ? [...known] : [...new Set(names)];
  const image0 = flags['probe-image'] ?? config?.image;
  const registry = flags['probe-registry'] ?? config?.registry;
  const secret = flags['probe-pull-secret'] ?? config?.pullSecret;
  if (!selected.length) {
    const stray = flags['probe-image'] !== undefined ? '--probe-image' : flags['probe-registry'] !== undefined ? '--probe-registry' : flags['probe-pull-secret'] !== undefined ? '--probe-pull-secret' : flags['egress-endpoint'] !== undefined ? '--egress-endpoint' : undefined;
    if (stray) throw new ConfigError(`${stray} has no effect without --active or --probe`, `add --active (every probe) or --probe <name> (${known.join(', ')})`);
    return undefined;
  }
  if (image0 !== undefined && !IMAGE_REF.test(image0)) throw new ConfigError(`probe image "${image0}" is not an image reference`, 'give e.g. registry.example.com/library/node:24-slim');
  if (registry !== undefined && !/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*\/?$/i.test(registry.replace(/^[a-z]+:\/\//i, ''))) {
    throw new ConfigError(`probe registry "${registry}" is not a registry host or prefix`, 'give e.g. registry.example.com or registry.example.com/dockerhub-mirror');
  }
  const endpoints = flags['egress-endpoint'] ?? config?.egress;
  const endpointsFrom = flags['egress-endpoint'] ? '--egress-endpoint' : 'probes.egress in the config file';
  for (const e of endpoints ?? []) {
    let ok = false;
    try {
      const u = new URL(e);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname;
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`${endpointsFrom} "${e}" is not an http(s) URL`, 'give e.g. https://registry.example.com/v2/ (each endpoint is walked: DNS, TCP, TLS, one GET)');
  }
  const base = image0 ?? DEFAULT_PROBE_IMAGE;
  const image = registry ? withRegistry(base, registry) : base;
  const imageSource = `${image0 === undefined ? 'default' : flags['probe-image'] !== undefined ? '--probe-image' : 'probes.image'}${registry ? ` through ${flags['probe-registry'] !== undefined ? '--probe-registry' : 'probes.registry'}` : ''}`;
  return {
    selected,
    image,
    imageSource,
    ...(secret !== undefined ? { pullSecret: parsePullSecret(secret, flags['probe-pull-secret'] !== undefined ? '--probe-pull-secret' : 'probes.pullSecret', namespace) } : {}),
    ...(endpoints?.length ? { egress: { endpoints, source: endpointsFrom } } : {}),
  };
}
