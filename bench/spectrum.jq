# The Oneserve -> Spectrum mapping (mappings/oneserve-spectrum/order.yaml)
# written in jq, so the benchmark compares like with like: the same five
# create-order rules, the same lookups, fields, rounding and message lines.
# Accepted requests print the purchase order; refused ones print
# {"rejected": order_request_id, "errors": [...]}.
def vendors: {"Acme Plumbing": "ACME01", "Brightspark Electrical": "BRIGHT01",
              "Northern Roofing Ltd": "NROOF01", "Greenway Grounds": "GREEN01"};
def phases: {"PLB": ["000100", "S"], "ELE": ["000200", "S"], "ROF": ["000300", "S"], "GRD": ["000400", "S"]};
def round2: (. * 100 | if . < 0 then (. - 0.5 | ceil) else (. + 0.5 | floor) end) / 100;
def mmddccyy: (.[0:10] | split("-")) as $d | "\($d[1])/\($d[2])/\($d[0])";

. as $r
| [ (.activities | to_entries[] | select(.value.team == null)
     | {rule: "team-assigned", path: "/activities/\(.key)/team"}),
    (.activities | to_entries[] | select(.value.team != null and .value.team.type != "Sub-Contract")
     | {rule: "team-subcontract", path: "/activities/\(.key)/team/type"}),
    ([.activities[].team | select(. != null) | .name] | unique | select(length > 1)
     | {rule: "single-team", path: "/activities"}),
    (.activities | to_entries[] | select(.value.order != null and .value.status.allow_edit != true)
     | {rule: "not-already-ordered", path: "/activities/\(.key)/order"}),
    (.activities | to_entries[] | select(.value.unit_cost != 1)
     | {rule: "unit-cost-one", path: "/activities/\(.key)/unit_cost"})
  ] as $errors
| if ($errors | length) > 0 then {rejected: .order_request_id, errors: $errors}
  else (vendors[.activities[0].team.name]) as $vendor
  | if $vendor == null then {rejected: .order_request_id, errors: [{rule: "vendor-mapped", path: "/Vendor_Code"}]}
    else {
      Company_Code: $company_code, PO_Number: "", Vendor_Code: $vendor, Job_Number: .job.ref,
      Status_Flag: "P", Cost_Center: "", PO_Order_Date: (.requested_at | mmddccyy), Batch_Code: "",
      Ship_To_Code: "J", PO_Type: "L", Comment: "Oneserve order request \(.order_request_id)",
      poDetails: [ .activities[]
        | (phases[.sor_code[0:3]] // ["000900", "S"]) as $p
        | {Detail_Entry_Type: "N", Item_ID: "!\(.sor_code)", Item_Description: .description[0:35],
           PO_Quantity: 1, Unit_Of_Measure: "LS", Item_Price: (.unit_cost * .quantity | round2),
           Phase_Code: $p[0], Cost_Type: $p[1], Cost_Center: ""},
          (select(.note != "" and .note != null) | {Detail_Entry_Type: "M", Message: .note[0:250]}) ]
    }
    end
  end
