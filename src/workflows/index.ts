// The workflow bundle's entry: every workflow the worker registers.
export { oktaSync } from './okta-sync';
export { orgCoordinator } from './org-coordinator';
