/** Instruction bytes of the ISO 7816-4 / GlobalPlatform commands used here. */
export const Ins = {
  VERIFY: 0x20,
  CHANGE_REFERENCE_DATA: 0x24,
  PERFORM_SECURITY_OPERATION: 0x2a,
  RESET_RETRY_COUNTER: 0x2c,
  GENERATE_ASYMMETRIC_KEY_PAIR: 0x47,
  INITIALIZE_UPDATE: 0x50,
  MANAGE_CHANNEL: 0x70,
  EXTERNAL_AUTHENTICATE: 0x82,
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  GET_RESPONSE: 0xc0,
  GET_DATA: 0xca,
  PUT_KEY: 0xd8,
  STORE_DATA: 0xe2,
  DELETE: 0xe4,
  INSTALL: 0xe6,
  LOAD: 0xe8,
  SET_STATUS: 0xf0,
  GET_STATUS: 0xf2,
} as const;

/** CLA of GlobalPlatform proprietary commands on the basic channel without secure messaging. */
export const GP_CLA = 0x80;
/** CLA of interindustry (ISO) commands on the basic channel. */
export const ISO_CLA = 0x00;
