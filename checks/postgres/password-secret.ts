// Coder's docs warn that a password Secret must hold exactly the password: `echo pw | kubectl
// create secret … --from-file` stores a trailing newline, which lib/pq sends as part of the
// password (authentication fails) and which Go's URL parser refuses in a connection URL
// ("invalid control character in URL"). Coder reads the bytes as they are.
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'postgres.password-secret',
  title: 'The database Secret holds exactly the password or URL',
  category: 'postgres',
  facts: ['postgres.password-secret'],
  docs: 'https://coder.com/docs/install/kubernetes',
  explain: {
    what: 'When the database password (v1 postgres.passwordSecret) or connection URL (v2 coder.env CODER_PG_CONNECTION_URL from a secretKeyRef) comes from a Secret, looks at the value\'s bytes: a trailing newline or CR LF, leading or trailing spaces, a line break inside, a NUL byte, invalid UTF-8, an empty value. It reports the kind and the byte position, never the value.',
    why: 'Coder uses the bytes as they are. A newline at the end of a password is sent as part of it and the login fails with "password authentication failed"; in a URL, Go refuses to parse it and Coder does not start. The Secret looks right in kubectl, so this is hard to see.',
    fix: 'Recreate the Secret from a file written without a newline, named after the key: printf \'%s\' \'<the password>\' > password && kubectl -n <ns> create secret generic <name> --from-file=./password (add --dry-run=client -o yaml | kubectl apply -f - to replace one), then restart Coder.',
  },
  evaluate({ 'postgres.password-secret': s }) {
    const evidence = { secret: s.secret, key: s.key, holds: s.holds, bytes: s.bytes, problems: s.problems.map((p) => `${p.kind} (byte ${p.position})`) };
    if (s.problems.length) {
      const consequence = s.holds === 'password' ? 'lib/pq sends those bytes as the password, so the login fails' : 'Go refuses to parse a URL with control characters, so Coder does not start';
      return {
        status: 'fail',
        summary: `The ${s.holds} in Secret ${s.secret} key "${s.key}" has ${s.problems.map((p) => `${p.kind} (byte ${p.position} of ${s.bytes})`).join(', ')}: ${consequence}`,
        // A file named after the key, written with printf (no newline): the key is the file name.
        remediation: `recreate it without them: printf '%s' '<the ${s.holds}>' > ${s.key} && kubectl -n ${s.secret.split('/')[0]} create secret generic ${s.secret.split('/')[1]} --from-file=./${s.key} --dry-run=client -o yaml | kubectl apply -f -, then restart Coder`,
        evidence,
      };
    }
    return { status: 'pass', summary: `Secret ${s.secret} key "${s.key}" holds a clean ${s.holds} (${s.bytes} bytes, no surrounding whitespace or line breaks)`, evidence };
  },
});
