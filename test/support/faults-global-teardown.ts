import { faultsStack } from './faults-global-setup';

/** Stops the fault suite's broker (and wipes its data); MariaDB and Redis stay as the stack found them. */
export default async function faultsGlobalTeardown() {
  faultsStack('down');
}
