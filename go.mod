module github.com/sv-secrets/sv

go 1.26.8

require (
	filippo.io/age v1.3.2
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/crypto v0.55.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	filippo.io/hpke v0.4.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/term v0.45.0 // indirect
)
