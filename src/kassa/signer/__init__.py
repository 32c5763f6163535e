"""The signer: the one component that holds the seed and can spend.

It runs as its own process (``kassa signer serve``) on a unix socket or a loopback port, with the
seed encrypted at rest under an operator passphrase (:mod:`.vault`). The services hand it
transactions through :class:`.client.RemoteSigner`; it checks each against its policy
(:mod:`.policy`) and signs only withdrawals and sweeps. The API process never imports
:mod:`.vault`, :mod:`.local` or :mod:`.server`, and never reads the seed file.
"""
