// URLs a user gives (task inputs, webhook URLs, http steps) are checked when they are accepted, under the same
// SSRF rules that apply when they are fetched: what could never be fetched is a 400 now.
import { AppError } from '../lib/errors.js';
import { checkUrl, FetchError } from '../net/safe-fetch.js';

export async function checkUserUrl(url: string, field: string, allowPrivate: boolean): Promise<void> {
  try {
    await checkUrl(url, { allowPrivate });
  } catch (err) {
    // a host that does not resolve now may resolve when the worker fetches it; that fails the task then
    if (err instanceof FetchError && (err.code === 'url_invalid' || err.code === 'url_forbidden')) {
      throw new AppError(err.code, `${field}: ${err.message}`, { cause: err });
    }
    if (!(err instanceof FetchError)) throw err;
  }
}
