package crypt

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// SOPS splits the data key with Shamir's scheme over GF(2^8) with the AES
// polynomial (a fork of HashiCorp Vault's implementation). A share is the
// secret's length in y-bytes followed by one x-coordinate byte.

func gfMul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

func gfInv(a byte) byte {
	// a^254 = a^-1 in GF(2^8).
	r := byte(1)
	for i := 0; i < 254; i++ {
		r = gfMul(r, a)
	}
	return r
}

// SplitKey splits secret into n shares of which any threshold recover it.
func SplitKey(secret []byte, n, threshold int) ([][]byte, error) {
	if threshold < 2 || threshold > n || n > 255 {
		return nil, fmt.Errorf("invalid shamir parameters: %d of %d", threshold, n)
	}
	shares := make([][]byte, n)
	for i := range shares {
		shares[i] = make([]byte, len(secret)+1)
		shares[i][len(secret)] = byte(i + 1)
	}
	coeffs := make([]byte, threshold-1)
	for j, s := range secret {
		if _, err := rand.Read(coeffs); err != nil {
			return nil, err
		}
		for i := range shares {
			x := byte(i + 1)
			// Horner: s + c1 x + c2 x^2 ...
			var y byte
			for k := len(coeffs) - 1; k >= 0; k-- {
				y = gfMul(y, x) ^ coeffs[k]
			}
			shares[i][j] = gfMul(y, x) ^ s
		}
	}
	return shares, nil
}

// CombineKey recovers the secret from shares (Lagrange interpolation at 0).
func CombineKey(shares [][]byte) ([]byte, error) {
	if len(shares) < 2 {
		return nil, errors.New("need at least two shares")
	}
	l := len(shares[0])
	xs := make([]byte, len(shares))
	seen := map[byte]bool{}
	for i, s := range shares {
		if len(s) != l || l < 2 {
			return nil, errors.New("shares have different or invalid lengths")
		}
		xs[i] = s[l-1]
		if seen[xs[i]] {
			return nil, errors.New("duplicate share")
		}
		seen[xs[i]] = true
	}
	out := make([]byte, l-1)
	for j := range out {
		var acc byte
		for i, s := range shares {
			// basis_i(0) = prod_{m!=i} x_m / (x_m - x_i); subtraction is xor.
			num, den := byte(1), byte(1)
			for m := range shares {
				if m == i {
					continue
				}
				num = gfMul(num, xs[m])
				den = gfMul(den, xs[m]^xs[i])
			}
			acc ^= gfMul(s[j], gfMul(num, gfInv(den)))
		}
		out[j] = acc
	}
	return out, nil
}
