// The page side of the e2e tests, shared by iife.html and esm.html: the same steps an app
// would take, whichever build of the client it loads. Classic script (no module syntax) so
// the CDN page stays free of modules.
/* global window, document, location */
window.runDemo = function runDemo(Mooring) {
  const $ = (id) => document.getElementById(id)
  const fail = (error) => {
    $('error').textContent = String((error && (error.code || error.message)) || error)
  }
  window.addEventListener('error', (event) => fail(event.error || event.message))
  window.addEventListener('unhandledrejection', (event) => fail(event.reason))

  try {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const client = Mooring.createClient({ url: `${scheme}://${location.host}/ws` })
    window.client = client

    const render = () => {
      $('state').textContent = client.getState().status
    }
    render()
    client.on('state', render)
    client.on('error', fail)

    client.onMessage('echo', (data) => {
      $('received').textContent = data.text
    })
    // Sent before the socket is open on purpose: the outbox must deliver it once connected.
    client.send('echo', { text: 'hello from the page' }).then(
      () => {
        $('acked').textContent = 'yes'
      },
      fail,
    )
  } catch (error) {
    fail(error)
  }
}
