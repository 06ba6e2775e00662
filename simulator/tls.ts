import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * trusted: a server certificate for localhost/127.0.0.1 signed by a CA written to ca.pem.
 * untrusted: a self-signed server certificate that ca.pem does not vouch for.
 * wrong-host: signed by the CA, but for another host name.
 */
export type TlsMode = 'trusted' | 'untrusted' | 'wrong-host';

export interface TlsMaterial {
  key: string;
  cert: string;
  caFile: string;
  caPem: string;
}

export function newKeys(): { privatePem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  // Node generates the key natively (forge's pure-JS RSA would take seconds); forge signs.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  return { privatePem, forgeKey, forgePublic: forge.pki.rsa.setPublicKey(forgeKey.n, forgeKey.e) };
}

export function certificate(
  subjectCn: string,
  publicKey: forge.pki.rsa.PublicKey,
  issuer: { cn: string; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
  serial: string,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 7 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.cn }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

export function generateTls(mode: TlsMode, dir: string): TlsMaterial {
  mkdirSync(dir, { recursive: true });
  const ca = newKeys();
  const caCert = certificate('k2 simulator test CA', ca.forgePublic, { cn: 'k2 simulator test CA', key: ca.forgeKey }, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ], '01');
  const server = newKeys();
  const host = mode === 'wrong-host' ? 'wrong.example.com' : 'localhost';
  const altNames =
    mode === 'wrong-host' ? [{ type: 2, value: 'wrong.example.com' }] : [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }];
  const serverExtensions = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ];
  const issuer = mode === 'untrusted' ? { cn: host, key: server.forgeKey } : { cn: 'k2 simulator test CA', key: ca.forgeKey };
  const serverCert = certificate(host, server.forgePublic, issuer, serverExtensions, '02');
  const caPem = forge.pki.certificateToPem(caCert);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, caPem);
  const cert = forge.pki.certificateToPem(serverCert);
  writeFileSync(join(dir, 'server.pem'), cert);
  writeFileSync(join(dir, 'server-key.pem'), server.privatePem, { mode: 0o600 });
  return { key: server.privatePem, cert, caFile, caPem };
}
