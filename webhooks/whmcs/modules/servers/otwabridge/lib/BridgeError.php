<?php
/**
 * A call to the bridge that did not end in {"ok": true}: the message is meant for staff
 * (and, for ChangePassword and custom buttons, the client) and never contains a secret.
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

    public function __construct(string $message, string $errorCode, int $httpStatus = 0)
    {
        parent::__construct($message);
        $this->errorCode = $errorCode;
        $this->httpStatus = $httpStatus;
    }
}
