import { describe, expect, it } from 'vitest'
import { creationOptions, fromBase64url, requestOptions, toBase64url } from './webauthn'

describe('webauthn JSON', () => {
  it('round-trips base64url, padding and URL-safe characters included', () => {
    for (const bytes of [[], [0], [251, 255], [1, 2, 3, 4, 5], Array.from({ length: 64 }, (_, i) => i * 4)]) {
      const text = toBase64url(new Uint8Array(bytes))!
      expect(text).not.toMatch(/[+/=]/)
      expect(Array.from(new Uint8Array(fromBase64url(text)))).toEqual(bytes)
    }
  })

  it('turns the challenge, the user id and credential ids into buffers', () => {
    const create = creationOptions({
      publicKey: { challenge: 'AQID', user: { id: 'BAU', name: 'ada' }, excludeCredentials: [{ type: 'public-key', id: 'Bgc' }], rp: { id: 'localhost' } },
    })
    const pk = create.publicKey!
    expect(Array.from(new Uint8Array(pk.challenge as ArrayBuffer))).toEqual([1, 2, 3])
    expect(Array.from(new Uint8Array(pk.user.id as ArrayBuffer))).toEqual([4, 5])
    expect(Array.from(new Uint8Array(pk.excludeCredentials![0].id as ArrayBuffer))).toEqual([6, 7])
    expect(pk.rp).toEqual({ id: 'localhost' })
    const get = requestOptions({ publicKey: { challenge: 'AQID', allowCredentials: [{ type: 'public-key', id: 'Bgc' }], rpId: 'localhost' } })
    expect(Array.from(new Uint8Array(get.publicKey!.allowCredentials![0].id as ArrayBuffer))).toEqual([6, 7])
  })
})
