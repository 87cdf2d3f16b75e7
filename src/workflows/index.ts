// The workflow bundle's entry: every workflow the worker registers.
export { oktaSync, progressQuery } from './okta-sync';
export { orgCoordinator } from './org-coordinator';
