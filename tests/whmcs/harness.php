<?php
/**
 * Test harness: stands in for WHMCS around the otwabridge module.
 *
 *   php harness.php call <module.php> <Function> <params>
 *   php harness.php loader <module.php> <Loader callable> <params>
 *   php harness.php hook <hooks.php> <HookName> <vars.json>
 *
 * <params>: "-" (no argument), a JSON file, "service:<id>" or "addon:<id>" (the $params the
 * fake WHMCS builds the way WHMCS's \WHMCS\Module\Server::buildParams does, with a `model`
 * whose serviceProperties read and write the fake's custom fields).
 * Prints {"return": <value>, "output": <stray output>} as JSON on stdout.
 *
 * What it provides, as WHMCS does: the WHMCS constant; CLIENTAREA or ADMINAREA
 * ($OTWABRIDGE_CONTEXT = client | admin; unset = cron/API); logModuleCall and logActivity
 * (one JSON line each in $OTWABRIDGE_MODULE_LOG, arguments as the module passed them, i.e.
 * before WHMCS would scrub replaceVars); localAPI (the fake WHMCS at $OTWABRIDGE_FAKE_WHMCS,
 * in-process semantics: no credential, no API role); add_hook; \WHMCS\Module\Server
 * (loadByServiceID, load, buildParams, getServerParams); $_POST/$_REQUEST from
 * $OTWABRIDGE_POST and $_SESSION from $OTWABRIDGE_SESSION (JSON).
 * $OTWABRIDGE_TRANSPORT forces the module's HTTP transport; $OTWABRIDGE_TEST_PHP_VERSION_ID
 * plays an older PHP for the version guard.
 */

namespace {
    define('WHMCS', true);

    foreach (['OTWABRIDGE_TRANSPORT', 'OTWABRIDGE_TEST_PHP_VERSION_ID'] as $name) {
        $value = getenv($name);
        if ($value !== false && $value !== '') {
            define($name, $name === 'OTWABRIDGE_TEST_PHP_VERSION_ID' ? (int) $value : $value);
        }
    }
    $context = (string) getenv('OTWABRIDGE_CONTEXT');
    if ($context === 'client') {
        define('CLIENTAREA', true);
    } elseif ($context === 'admin') {
        define('ADMINAREA', true);
    }

    function harness_record(string $kind, array $entry): void
    {
        $path = getenv('OTWABRIDGE_MODULE_LOG');
        if ($path !== false && $path !== '') {
            file_put_contents($path, json_encode(['kind' => $kind] + $entry, JSON_UNESCAPED_SLASHES) . "\n",
                FILE_APPEND | LOCK_EX);
        }
    }

    function harness_fake(string $method, string $path, ?array $body = null): array
    {
        $base = getenv('OTWABRIDGE_FAKE_WHMCS');
        if ($base === false || $base === '') {
            throw new RuntimeException('OTWABRIDGE_FAKE_WHMCS is not set');
        }
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Content-Type: application/json\r\nConnection: close",
            'content' => $body === null ? '' : json_encode($body),
            'ignore_errors' => true,
            'timeout' => 10,
        ]]);
        $raw = file_get_contents(rtrim($base, '/') . $path, false, $context);

        return json_decode((string) $raw, true) ?: [];
    }

    function logModuleCall($module, $action, $requestString, $responseData, $processedData = '', $replaceVars = [])
    {
        harness_record('module', ['module' => $module, 'action' => $action, 'request' => $requestString,
            'response' => $responseData, 'processed' => $processedData, 'replaceVars' => $replaceVars]);
    }

    function logActivity($message, $userId = 0)
    {
        harness_record('activity', ['message' => $message, 'userid' => $userId]);
    }

    function localAPI($command, $data = [], $admin = '')
    {
        return harness_fake('POST', '/_fake/localapi', ['command' => $command, 'data' => $data]);
    }

    $GLOBALS['harness_hooks'] = [];

    function add_hook($name, $priority, $callback)
    {
        $GLOBALS['harness_hooks'][$name][] = $callback;
    }

    /** serviceProperties of the fake: get/save on the service's custom fields. */
    final class HarnessProperties
    {
        public function __construct(private int $serviceId)
        {
        }

        public function get($name)
        {
            return harness_fake('GET', '/_fake/properties?serviceid=' . $this->serviceId . '&name='
                . rawurlencode((string) $name))['value'] ?? '';
        }

        public function save(array $values)
        {
            harness_fake('POST', '/_fake/properties', ['serviceid' => $this->serviceId, 'save' => $values]);
        }
    }

    /** A stand-in for the Eloquent model WHMCS passes as $params['model']. */
    final class HarnessModel
    {
        public HarnessProperties $serviceProperties;

        public function __construct(public int $id)
        {
            $this->serviceProperties = new HarnessProperties($id);
        }
    }

    function harness_params(string $spec): array
    {
        if (preg_match('/^(service|addon):(\d+)$/', $spec, $m)) {
            $query = ($m[1] === 'service' ? 'serviceid=' : 'addonid=') . $m[2];
            $params = harness_fake('GET', '/_fake/params?' . $query);
            if (!$params) {
                throw new RuntimeException('the fake WHMCS has no ' . $spec);
            }
            $params['model'] = $m[1] === 'service' ? new HarnessModel((int) $m[2]) : new stdClass();

            return $params;
        }

        return json_decode(file_get_contents($spec), true, 512, JSON_THROW_ON_ERROR);
    }
}

namespace WHMCS\Module {
    /** The part of WHMCS's module loader the otwabridge hooks use. */
    class Server
    {
        private int $serviceId = 0;

        public function load($module)
        {
            return $module === 'otwabridge';
        }

        public function loadByServiceID($serviceId)
        {
            $this->serviceId = (int) $serviceId;

            return harness_fake('GET', '/_fake/params?serviceid=' . $this->serviceId) !== [];
        }

        public function buildParams()
        {
            $params = harness_fake('GET', '/_fake/params?serviceid=' . $this->serviceId);
            $params['model'] = new \HarnessModel($this->serviceId);

            return $params;
        }

        public function getServerParams($serverId)
        {
            return harness_fake('GET', '/_fake/server-params?serverid=' . (int) $serverId);
        }
    }
}

namespace {
    error_reporting(E_ALL);
    set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
        fwrite(STDERR, "PHP notice/warning: $msg at $file:$line\n");

        return true;
    });

    foreach (['OTWABRIDGE_POST' => '_POST', 'OTWABRIDGE_SESSION' => '_SESSION'] as $env => $global) {
        $raw = getenv($env);
        $GLOBALS[$global] = $raw !== false && $raw !== '' ? json_decode($raw, true, 512, JSON_THROW_ON_ERROR) : [];
    }
    $_REQUEST = $_POST;

    [$self, $mode, $file, $name, $arg] = array_pad($argv, 5, '-');
    ob_start();
    if ($mode === 'call') {
        require $file;
        $callable = 'otwabridge_' . $name;
        if (!function_exists($callable)) {
            fwrite(STDERR, "no such module function: $callable\n");
            exit(2);
        }
        $value = $arg === '-' ? $callable() : $callable(harness_params($arg));
    } elseif ($mode === 'loader') {
        // As WHMCS's product editor does: $loader($params), an exception's message shown.
        require $file;
        try {
            $value = ['options' => $name(harness_params($arg))];
        } catch (Exception $e) {
            $value = ['exception' => $e->getMessage()];
        }
    } elseif ($mode === 'hook') {
        require $file;
        $vars = $arg === '-' ? [] : json_decode(file_get_contents($arg), true, 512, JSON_THROW_ON_ERROR);
        $value = [];
        foreach ($GLOBALS['harness_hooks'][$name] ?? [] as $callback) {
            $value[] = $callback($vars);
        }
    } elseif ($mode === 'hooks') {
        require $file;
        $value = array_keys($GLOBALS['harness_hooks']);
    } else {
        fwrite(STDERR, "usage: harness.php call|hook|hooks <file> <name> <params>\n");
        exit(2);
    }
    $output = ob_get_clean();
    echo json_encode(['return' => $value, 'output' => $output], JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
}
