/**
 * ml-service entry: `node --import tsx sample-services/ml-service/main.ts` (cwd: project root).
 * Everything is loaded through main() so tracing is set up before `http` is.
 */
import { main } from '../shared/run.ts';

await main('ml-service', () => import('./app.ts'));
