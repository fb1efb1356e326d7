/** Nest injection token of the SE-management TSM's settings (`SeTsmSettings`). */
export const SE_TSM_SETTINGS = Symbol('SE_TSM_SETTINGS');
