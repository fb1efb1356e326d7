export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
/** The carrier whose data every operator endpoint of this service holds (`ServiceDefinition.operatorCarrier`), or null. */
export const SERVICE_CARRIER = Symbol('SERVICE_CARRIER');
/** `ServiceDefinition.servesWithoutBroker`: readiness stops gating on the broker once the service has been ready. */
export const SERVES_WITHOUT_BROKER = Symbol('SERVES_WITHOUT_BROKER');
