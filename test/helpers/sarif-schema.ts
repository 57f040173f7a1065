// The SARIF 2.1.0 JSON Schema, as the npm package @microsoft/jest-sarif ships it
// (lib/schemas/sarif-2.1.0-rtm.5.json: draft-04, the same definitions as SchemaStore's
// sarif-2.1.0.json), compiled with Ajv's draft-04 build. Its language-tag pattern is not valid
// under the `u` flag, hence unicodeRegExp: false.
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
const ajv = new Ajv04.default({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Undefined when the document is valid SARIF 2.1.0, else every violation, one per line. */
export function sarifProblems(doc: unknown): string | undefined {
  return validate(doc) ? undefined : ajv.errorsText(validate.errors, { separator: '\n' });
}
