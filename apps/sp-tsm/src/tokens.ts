export const SP_TSM_CONFIG = Symbol('SP_TSM_CONFIG');
