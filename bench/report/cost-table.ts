import { COST_ROLES, ROLE_LABELS, type CostRole, type CostRow, type IdleCost } from '../lib/cost-meter';
import { formatNumber } from './format';

const num = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
const CPU_ROLES: CostRole[] = COST_ROLES.filter((r) => r !== 'machine' && r !== 'other');

/** Per-message cost by step: CPU ms by role, statements and Redis commands. */
export const costTable = (title: string, rows: readonly CostRow[]) => {
  if (rows.length === 0) return '';
  const header = [
    'step',
    'messages',
    ...CPU_ROLES.map((r) => `${ROLE_LABELS[r]} ms`),
    'whole machine ms',
    'other ms',
    'statements (select/insert/update/commit)',
    'Redis commands',
    'consumed/s',
  ];
  const line = (r: CostRow) => [
    r.label,
    formatNumber(r.messages),
    ...CPU_ROLES.map((role) => num(r.msPerMessage[role], 3)),
    `**${num(r.msPerMessage.machine, 3)}**`,
    num(r.msPerMessage.other, 3),
    `${num(r.statementsPerMessage)} (${num(r.comPerMessage.select)}/${num(r.comPerMessage.insert)}/${num(r.comPerMessage.update)}/${num(r.comPerMessage.commit)})`,
    `${num(r.redisPerMessage)}${
      r.redisTop.length
        ? ` (${r.redisTop
            .slice(0, 3)
            .map((c) => `${c.command} ${num(c.perMessage)}`)
            .join(', ')})`
        : ''
    }`,
    formatNumber(r.consumedPerSec),
  ];
  return [
    `### Cost per message: ${title}`,
    '',
    'CPU ms per message by role (the step\'s CPU time ÷ the messages committed in it; the drain: ÷ the rows drained). "other" is the rest of the machine (other processes, e.g. other test runs). Statements and Redis commands are server-wide Δ per message: other sessions on the shared servers add to them, and Kafka is a shared broker, so on a busy machine they are upper bounds.',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${line(r).join(' | ')} |`),
    '',
    ...rows.filter((r) => r.saturation).map((r) => `- ${r.label}: ${r.saturation}`),
    '',
  ].join('\n');
};

/** An idle window per second: share of one core by role, statements/s and Redis commands/s. */
export const idleTable = (title: string, idle: IdleCost) => {
  const header = [
    'per second',
    ...CPU_ROLES.map((r) => `${ROLE_LABELS[r]} % core`),
    'all roles % core',
    'whole machine % core',
    'statements/s',
    'Redis commands/s',
  ];
  const values = [
    `idle ${num(idle.seconds, 1)} s`,
    ...CPU_ROLES.map((r) => num(idle.corePercent[r])),
    `**${num(idle.allRolesPercent)}**`,
    num(idle.corePercent.machine),
    num(idle.statementsPerSec),
    `${num(idle.redisPerSec)}${
      idle.redisTop.length
        ? ` (${idle.redisTop
            .slice(0, 3)
            .map((c) => `${c.command} ${num(c.perSec)}`)
            .join(', ')})`
        : ''
    }`,
  ];
  return [
    `### Idle cost: ${title}`,
    '',
    'Target (issue 14): all roles together ≤ 1 % of a core and ≤ 2 statements/s. Statements and Redis commands are server-wide (other sessions included).',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    `| ${values.join(' | ')} |`,
    '',
  ].join('\n');
};
