// Starts the first page's API calls while the console's JavaScript downloads and starts: the
// session, and on an organization's dashboard its lists. The console takes each answer once
// (src/api/client.ts `prefetched`), only if it is a success and at most 10 s old; otherwise it
// asks again. A classic script (the Content-Security-Policy allows 'self' scripts only).
;(function () {
  if (!window.fetch || !window.Map) return
  var at = Date.now()
  var calls = new Map()
  var get = function (url) {
    calls.set(url, fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).catch(function () { return null }))
  }
  get('/api/v1/auth/session')
  var dashboard = /^\/o\/([^/]+)\/?$/.exec(location.pathname)
  if (dashboard) {
    var org = '/api/v1/orgs/' + dashboard[1]
    get(org + '/targets')
    get(org + '/environments')
    get(org + '/stacks?limit=500')
    get(org + '/deployments?limit=50')
  }
  // A workflow's editor: its document (the canvas draws as soon as it is there).
  var workflow = /^\/o\/([^/]+)\/workflows\/([^/]+)\/?$/.exec(location.pathname)
  if (workflow) get('/api/v1/orgs/' + workflow[1] + '/workflows/' + workflow[2])
  window.__wfPrefetch = { at: at, calls: calls }
})()
