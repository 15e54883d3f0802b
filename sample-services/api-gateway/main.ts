/**
 * api-gateway entry: `node --import tsx sample-services/api-gateway/main.ts` (cwd: project root).
 * Everything is loaded through main() so tracing is set up before `http` is.
 */
import { main } from '../shared/run.ts';

await main('api-gateway', () => import('./app.ts'));
