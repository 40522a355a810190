// zod compiles fast object parsers with `new Function` when it may; the renderer's CSP forbids
// eval (script-src 'self'), and even zod's probe for it is reported as a violation. Imported
// first by main.tsx, before any schema parses.
import { z } from 'zod';

z.config({ jitless: true });
