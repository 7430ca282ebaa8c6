<?php
/**
 * InvoicePaid / InvoiceRefunded: one `invoice_paid` / `invoice_refunded` hook per invoice
 * line of a service of this module (line type "Hosting"; other lines, other modules'
 * services, domains and add-ons are not sent). The bridge's ledger dedupes on
 * (invoice.id, invoice.line_id), so WHMCS firing a hook twice books nothing twice.
 */

namespace WHMCS\Module\Server\Otwabridge\Hooks;

use WHMCS\Module\Server\Otwabridge\Bridge;
use WHMCS\Module\Server\Otwabridge\ModuleParams;
use WHMCS\Module\Server\Otwabridge\Text;
use WHMCS\Module\Server\Otwabridge\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Invoices
{
    public static function paid(array $vars): void
    {
        self::send((int) ($vars['invoiceid'] ?? 0), 'InvoicePaid', 'invoice_paid');
    }

    public static function refunded(array $vars): void
    {
        self::send((int) ($vars['invoiceid'] ?? 0), 'InvoiceRefunded', 'invoice_refunded');
    }

    /** @return array<int, array> this module's lines of $invoice: line id => {service, amount} */
    public static function moduleLines(array $invoice): array
    {
        $products = Whmcs::moduleProducts();
        $lines = [];
        foreach (self::items($invoice) as $item) {
            if (($item['type'] ?? '') !== 'Hosting' || (int) ($item['relid'] ?? 0) <= 0) {
                continue;
            }
            $service = Whmcs::service((int) $item['relid']);
            if ($service !== null && isset($products[(int) ($service['pid'] ?? 0)])) {
                $lines[(int) $item['id']] = ['service_id' => (int) $item['relid'],
                    'amount' => number_format((float) ($item['amount'] ?? 0), 2, '.', ''),
                    'description' => (string) ($item['description'] ?? '')];
            }
        }

        return $lines;
    }

    private static function send(int $invoiceId, string $function, string $action): void
    {
        if ($invoiceId <= 0) {
            return;
        }
        $invoice = Whmcs::api('GetInvoice', ['invoiceid' => $invoiceId]);
        $lines = self::moduleLines($invoice);
        if (!$lines) {
            return;
        }
        $client = Whmcs::api('GetClientsDetails', ['clientid' => (int) ($invoice['userid'] ?? 0)]);
        $currency = strtoupper((string) ($client['client']['currency_code'] ?? ($client['currency_code'] ?? '')));
        foreach ($lines as $lineId => $line) {
            $params = ModuleParams::forService($line['service_id']);
            if ($params === null) {
                continue;
            }
            try {
                Bridge::call($function, $action, $params, ['invoice' => [
                    'id' => $invoiceId,
                    'line_id' => $lineId,
                    'amount' => $line['amount'],
                    'currency' => $currency,
                    'paid_at' => (string) ($invoice['datepaid'] ?? ''),
                    'description' => Text::cut($line['description'], 200),
                ]]);
            } catch (\Throwable $e) {
                Whmcs::activity('otwabridge ' . $function . ': invoice #' . $invoiceId . ' line ' . $lineId
                    . ' (service #' . $line['service_id'] . ') not recorded: ' . Bridge::staffMessage($e));
            }
        }
    }

    private static function items(array $invoice): array
    {
        $items = $invoice['items']['item'] ?? [];
        if (!is_array($items) || $items === []) {
            return [];
        }

        return array_is_list($items) ? array_filter($items, 'is_array') : [$items];
    }
}
