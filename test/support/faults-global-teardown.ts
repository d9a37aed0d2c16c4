import { faultsStack, releaseFaultsPort } from './faults-global-setup';

/** Stops the fault suite's broker (and wipes its data) and frees its port; MariaDB and Redis stay as the stack found them. */
export default async function faultsGlobalTeardown() {
  try {
    faultsStack('down');
  } finally {
    releaseFaultsPort();
  }
}
