/** `http_ece` (the RFC 8188 codec under `web-push`) ships no types; the tests use it as the reference decryptor. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto'

  interface Params {
    version: 'aes128gcm'
    /** The receiver's key pair when decrypting, the sender's when encrypting. */
    privateKey?: ECDH
    /** The receiver's public key, when encrypting. */
    dh?: Buffer
    authSecret?: Buffer
    salt?: Buffer
  }
  const ece: {
    encrypt(buffer: Buffer, params: Params): Buffer
    decrypt(buffer: Buffer, params: Params): Buffer
  }
  export default ece
}
