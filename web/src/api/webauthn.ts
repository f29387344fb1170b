// WebAuthn's JSON (binary fields as base64url strings, as the server's webauthn-rs speaks it)
// to and from the browser's `navigator.credentials` objects (ArrayBuffers).

type Json = Record<string, unknown>

export function fromBase64url(text: string): ArrayBuffer {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=')
  const raw = atob(b64)
  const bytes = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i)
  return bytes.buffer
}

export function toBase64url(buffer: ArrayBuffer | ArrayBufferView | null | undefined): string | undefined {
  if (!buffer) return undefined
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  let raw = ''
  for (const b of bytes) raw += String.fromCharCode(b)
  return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const withIds = (list: unknown) =>
  Array.isArray(list) ? list.map((c: Json) => ({ ...c, id: fromBase64url(c.id as string) })) : undefined

/** The server's creation options (`{ publicKey: … }`) as `navigator.credentials.create` wants them. */
export function creationOptions(options: Json): CredentialCreationOptions {
  const pk = options.publicKey as Json
  const user = pk.user as Json
  return {
    publicKey: {
      ...(pk as object),
      challenge: fromBase64url(pk.challenge as string),
      user: { ...(user as object), id: fromBase64url(user.id as string) },
      excludeCredentials: withIds(pk.excludeCredentials),
    } as PublicKeyCredentialCreationOptions,
  }
}

/** The server's request options (`{ publicKey: … }`) as `navigator.credentials.get` wants them. */
export function requestOptions(options: Json): CredentialRequestOptions {
  const pk = options.publicKey as Json
  return {
    publicKey: {
      ...(pk as object),
      challenge: fromBase64url(pk.challenge as string),
      allowCredentials: withIds(pk.allowCredentials),
    } as PublicKeyCredentialRequestOptions,
  }
}

/** A new credential as the server reads it. */
export function registrationJson(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAttestationResponse
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: toBase64url(response.attestationObject),
      clientDataJSON: toBase64url(response.clientDataJSON),
      transports: typeof response.getTransports === 'function' ? response.getTransports() : undefined,
    },
    extensions: credential.getClientExtensionResults(),
  }
}

/** An assertion as the server reads it. */
export function assertionJson(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAssertionResponse
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: toBase64url(response.authenticatorData),
      clientDataJSON: toBase64url(response.clientDataJSON),
      signature: toBase64url(response.signature),
      userHandle: toBase64url(response.userHandle),
    },
    extensions: credential.getClientExtensionResults(),
  }
}
