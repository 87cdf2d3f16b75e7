/**
 * The Okta tenant simulator: a real HTTP server that behaves like Okta's Management API for the
 * endpoints okta-ocsf calls. Used by tests, the demo and the benchmark, and by users to try the
 * product before pointing it at their tenant (`okta-ocsf simulate`).
 */

export { OktaSimulator, PAGE_LIMIT, type SimulatorInfo } from './server';
export { DEFAULT_RATE_LIMITS, type SimulatorOptions } from './options';
export { type FaultOptions } from './faults';
export { type SimulatorStats } from './stats';
export {
  SimulatedTenant,
  type MutationRequest,
  type MutationResult,
  type TenantChange,
  type UserChange,
} from './tenant';
export { type LogEventJson } from './system-log';
export {
  USER_STATUSES,
  type OktaErrorJson,
  type OktaFactorJson,
  type OktaGroupJson,
  type OktaRoleJson,
  type OktaUserJson,
  type OktaUserProfileJson,
  type UserStatus,
} from './okta-json';
export { ROLE_LABELS } from './tenant-generator';
export { simulateCommand } from './command';
