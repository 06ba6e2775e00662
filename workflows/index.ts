// Every workflow the workers register; workflow code only (no I/O, no clocks but Temporal's).
export { blueGreenDeployment } from './blue-green-deployment';
export { shadowSession } from './shadow-session';
export { productionValidation } from './production-validation';
export { streamSession } from './stream-session';
export { streamFleet } from './stream-fleet';
