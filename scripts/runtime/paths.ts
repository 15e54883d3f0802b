import { fileURLToPath } from 'node:url';

/** The project root, whatever the working directory (a user may run the CLI from elsewhere). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
