import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The database server's CPU so far, in ms (10 ms ticks from /proc), for experiments that charge
 * a step to the server by reading it before and after. Finds mariadbd (or mysqld) once.
 */
export const databaseServerCpu = () => {
  const pid = Number(execSync('pgrep -xo mariadbd || pgrep -xo mysqld').toString().trim());
  return () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return 10 * (Number(fields[11]) + Number(fields[12]));
  };
};
