declare const __CODER_PREFLIGHT_VERSION__: string | undefined;

/** Set at build time (esbuild define); "dev" when running from source. */
export const VERSION: string = typeof __CODER_PREFLIGHT_VERSION__ === 'string' ? __CODER_PREFLIGHT_VERSION__ : 'dev';
