export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
/** The carrier whose data every operator endpoint of this service holds (`ServiceDefinition.operatorCarrier`), or null. */
export const SERVICE_CARRIER = Symbol('SERVICE_CARRIER');
