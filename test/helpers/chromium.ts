// Headless Chromium (Debian's package) driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: no port, no WebSocket, no npm dependency), in a network namespace of
// its own when one can be made, so the page under test cannot reach anything even if it tried.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The Chromium binary, or undefined when none is installed (CHROMIUM overrides). */
export function findChromium(): string | undefined {
  for (const c of [process.env.CHROMIUM, 'chromium', 'chromium-browser'].filter(Boolean) as string[]) {
    try {
      return execFileSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
    } catch {
      // next
    }
  }
  return undefined;
}

/** A prefix that runs a command without network (unshare -n as root, -rn in a user namespace), or none. */
function isolation(): string[] {
  for (const flags of [['-n'], ['-rn']]) {
    try {
      execFileSync('unshare', [...flags, 'true'], { stdio: 'ignore' });
      return ['unshare', ...flags];
    } catch {
      // next
    }
  }
  return [];
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class Browser {
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: ((m: { method: string; params: Record<string, unknown>; sessionId?: string }) => void)[] = [];
  readonly isolated: boolean;
  private readonly child: ChildProcess;
  private readonly profile: string;

  private constructor(child: ChildProcess, profile: string, isolated: boolean) {
    this.child = child;
    this.profile = profile;
    this.isolated = isolated;
    const out = child.stdio[4] as Readable;
    let buf = '';
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
        const msg = JSON.parse(buf.slice(0, i)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
        buf = buf.slice(i + 1);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.error) p?.reject(new Error(msg.error.message));
          else p?.resolve(msg.result ?? {});
        } else if (msg.method) for (const l of this.listeners) l({ method: msg.method, params: msg.params ?? {}, ...(msg.sessionId ? { sessionId: msg.sessionId } : {}) });
      }
    });
  }

  static async launch(binary: string): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'cp-chromium-'));
    const prefix = isolation();
    const args = [
      binary,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--remote-debugging-pipe',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--hide-scrollbars',
      '--mute-audio',
      `--user-data-dir=${profile}`,
      'about:blank',
    ];
    const [cmd, ...rest] = [...prefix, ...args];
    const child = spawn(cmd!, rest, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    const b = new Browser(child, profile, prefix.length > 0);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve());
    });
    await b.send('Browser.getVersion');
    return b;
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.next;
    const pipe = this.child.stdio[3] as Writable;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      pipe.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  on(listener: (m: { method: string; params: Record<string, unknown>; sessionId?: string }) => void): void {
    this.listeners.push(listener);
  }

  /** Open a page and wait for its load event; every request the page makes is recorded. */
  async open(url: string, width = 1100): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    this.on((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Network.requestWillBeSent') page.requests.push(String((m.params.request as { url: string }).url));
      if (m.method === 'Runtime.consoleAPICalled' || m.method === 'Log.entryAdded') page.console.push(JSON.stringify(m.params).slice(0, 300));
    });
    await Promise.all(['Page.enable', 'Network.enable', 'Runtime.enable', 'Log.enable'].map((m) => this.send(m, {}, sessionId)));
    await this.send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = new Promise<void>((resolve) => this.on((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired' && resolve()));
    await this.send('Page.navigate', { url }, sessionId);
    await loaded;
    return page;
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, 5000);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  readonly requests: string[] = [];
  readonly console: string[] = [];
  private readonly browser: Browser;
  private readonly sessionId: string;
  constructor(browser: Browser, sessionId: string) {
    this.browser = browser;
    this.sessionId = sessionId;
  }

  /** Evaluate an expression in the page and return its value (JSON-serialisable). */
  async eval<T>(expression: string): Promise<T> {
    const r = (await this.browser.send('Runtime.evaluate', { expression, returnByValue: true }, this.sessionId)) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** A PNG of the whole page. */
  async screenshot(width = 1100): Promise<Buffer> {
    const height = await this.eval<number>('Math.ceil(document.documentElement.scrollHeight)');
    await this.browser.send('Emulation.setDeviceMetricsOverride', { width, height: Math.min(height, 16000), deviceScaleFactor: 1, mobile: false }, this.sessionId);
    const { data } = (await this.browser.send('Page.captureScreenshot', { format: 'png' }, this.sessionId)) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
