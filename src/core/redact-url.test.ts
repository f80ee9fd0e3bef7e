import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redactUrl } from './redact-url.ts'

test('a password in a service URL is masked, and the rest of the URL is kept to say where it points', () => {
  assert.equal(
    redactUrl('postgres://sirena:s3cret@db.internal:5432/sirena'),
    'postgres://sirena:***@db.internal:5432/sirena',
  )
  assert.equal(redactUrl('postgres://postgres@127.0.0.1:5432/sirena'), 'postgres://postgres@127.0.0.1:5432/sirena')
  assert.equal(redactUrl('nats://127.0.0.1:4222'), 'nats://127.0.0.1:4222')
})

test('a NATS token written as the user part is masked', () => {
  assert.equal(redactUrl('nats://s3cret-token@n1:4222'), 'nats://***@n1:4222')
})

test('each URL of a server list is masked on its own', () => {
  assert.equal(redactUrl('nats://a:x@n1:4222, nats://n2:4222'), 'nats://a:***@n1:4222,nats://n2:4222')
})

test('a value that is not a URL but may hold credentials is not shown at all', () => {
  assert.equal(redactUrl('user:pass@host'), '(unparseable URL)')
  assert.equal(redactUrl('localhost:4222'), 'localhost:4222')
})
