/**
 * MacSigner over AWS KMS (`@aws-sdk/client-kms`): GenerateMac and VerifyMac with the archive's
 * HMAC key (KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC, algorithm HMAC_SHA_256), which never
 * leaves KMS. The client comes from the caller (its endpoint from AWS_ENDPOINT_URL_KMS, the SDK's
 * standard way, so tests point it at test/support/kms-emulator.ts). Every call is abandoned at the
 * caller's deadline. A MAC that does not verify is an answer (false), not an error: KMS says so
 * with KMSInvalidMacException. Errors name the key and the fix; KMS's own message is never copied.
 */
import { GenerateMacCommand, type KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { signalUntil } from '../deadline';
import { type CallOptions, MacKeyError, type MacSigner } from '../ports';

/** One KMS call (its SDK retries included) never takes longer than this, nor past the deadline. */
const CALL_TIMEOUT_MS = 10_000;

/** The one algorithm an HMAC_256 key computes. */
export const MAC_ALGORITHM = 'HMAC_SHA_256';

export function createKmsMacSigner(options: { readonly client: KMSClient; readonly keyId: string }): MacSigner {
  const { client, keyId } = options;

  function fail(operation: string, error: unknown): MacKeyError {
    const name = error instanceof Error ? error.name : 'Error';
    const hint =
      name === 'AccessDeniedException'
        ? `the role may not kms:${operation} on it: grant kms:${operation} on this key`
        : name === 'NotFoundException'
          ? 'no such key: check ARCHIVE_MAC_KEY (the stack output ArchiveMacKeyArn)'
          : name === 'DisabledException' || name === 'KMSInvalidStateException'
            ? 'the key is disabled or pending deletion: enable it (a deleted key can never verify the archive again)'
            : name === 'InvalidKeyUsageException'
              ? 'it is not an HMAC key for GENERATE_VERIFY_MAC (KeySpec HMAC_256)'
              : name === 'AbortError' || name === 'TimeoutError'
                ? 'KMS did not answer in time'
                : 'KMS could not be reached or refused the request';
    return new MacKeyError(`The archive's MAC key ${keyId} could not be used (${operation}: ${name}): ${hint}`, {
      cause: error,
    });
  }

  return {
    keyId,
    async sign(message: Uint8Array, call?: CallOptions) {
      try {
        const out = await client.send(
          new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: MAC_ALGORITHM, Message: message }),
          { abortSignal: signalUntil(call?.deadline, CALL_TIMEOUT_MS) },
        );
        if (!out.Mac || out.Mac.length === 0) throw new Error('GenerateMac returned no MAC');
        return { mac: out.Mac, keyArn: out.KeyId ?? keyId };
      } catch (error) {
        throw fail('GenerateMac', error);
      }
    },
    async verify(message: Uint8Array, mac: Uint8Array, call?: CallOptions) {
      try {
        const out = await client.send(
          new VerifyMacCommand({ KeyId: keyId, MacAlgorithm: MAC_ALGORITHM, Message: message, Mac: mac }),
          { abortSignal: signalUntil(call?.deadline, CALL_TIMEOUT_MS) },
        );
        return out.MacValid === true;
      } catch (error) {
        if ((error as { name?: string }).name === 'KMSInvalidMacException') return false;
        throw fail('VerifyMac', error);
      }
    },
  };
}
