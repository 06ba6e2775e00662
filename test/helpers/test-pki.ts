import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { certificate, newKeys } from '../../simulator/tls';

export interface Issued {
  cert: string;
  /** PKCS#8, which Kafka's PEM key store requires and Node and rustls read too. */
  key: string;
  certFile: string;
  keyFile: string;
}

let serial = 1;

/** A throwaway certificate authority for tests: server certificates with the names given, and client certificates. */
export class TestCa {
  readonly pem: string;
  readonly file: string;
  private readonly key: forge.pki.rsa.PrivateKey;

  constructor(
    private readonly dir: string,
    readonly name: string,
  ) {
    mkdirSync(dir, { recursive: true });
    const keys = newKeys();
    this.key = keys.forgeKey;
    const cert = certificate(name, keys.forgePublic, { cn: name, key: keys.forgeKey }, [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ], String(serial++).padStart(2, '0'));
    this.pem = forge.pki.certificateToPem(cert);
    this.file = join(dir, `${fileName(name)}.pem`);
    writeFileSync(this.file, this.pem);
  }

  /** `names`: DNS names and IP addresses the certificate is valid for; `client`: for TLS client authentication. */
  issue(cn: string, o: { names?: string[]; client?: boolean } = {}): Issued {
    const keys = newKeys();
    const altNames = (o.names ?? []).map((n) => (/^[\d.]+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n }));
    const cert = certificate(cn, keys.forgePublic, { cn: this.name, key: this.key }, [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', ...(o.client ? { clientAuth: true } : { serverAuth: true }) },
      ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    ], String(serial++).padStart(2, '0'));
    const issued = {
      cert: forge.pki.certificateToPem(cert),
      key: createPrivateKey(keys.privatePem).export({ type: 'pkcs8', format: 'pem' }).toString(),
      certFile: join(this.dir, `${fileName(cn)}.crt.pem`),
      keyFile: join(this.dir, `${fileName(cn)}.key.pem`),
    };
    writeFileSync(issued.certFile, issued.cert);
    writeFileSync(issued.keyFile, issued.key, { mode: 0o600 });
    return issued;
  }
}

function fileName(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-');
}
