/** Nest injection tokens of the MNO-TSM. */
export const MNO_SETTINGS = Symbol('MNO_SETTINGS');
