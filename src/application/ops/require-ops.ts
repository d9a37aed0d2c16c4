import { AppError } from '../../domain/errors';
import { hasRole, type Principal } from '../../domain/identity';

/** The outbox API is for operators: everyone else gets FORBIDDEN, before any read. */
export const requireOps = (principal: Principal) => {
  if (!hasRole(principal, 'ops')) throw new AppError('FORBIDDEN', 'the outbox API requires the ops role');
};
