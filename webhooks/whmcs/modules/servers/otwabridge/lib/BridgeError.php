<?php
/**
 * A call to the bridge that did not end in {"ok": true}. The message is meant for staff (it
 * may name the bridge URL and the bridge's error code) and never contains a secret; clients
 * get Messages::forClient() instead.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

class BridgeError extends \RuntimeException
{
    /** @var string bridge error code ("invalid_signature"), or a module one ("unreachable") */
    public string $errorCode;

    /** @var int HTTP status of the reply; 0 when no reply came */
    public int $httpStatus;

    /** @var string the webhook-id of the failed call: a support reference, not a secret */
    public string $reference = '';

    /** @var array the bridge's error.details (e.g. {"option": ..., "value": ...}), or [] */
    public array $details = [];

    public function __construct(string $message, string $errorCode, int $httpStatus = 0)
    {
        parent::__construct($message);
        $this->errorCode = $errorCode;
        $this->httpStatus = $httpStatus;
    }
}
