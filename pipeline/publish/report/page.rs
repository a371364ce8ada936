//! The page around the report: styles (screen and A4 print), the symbols'
//! legend, and one small inline script (sorting and filtering the overview
//! table, opening every section for printing). Nothing is fetched: no CDN,
//! no font files; without the script the page reads the same, unsorted.

pub const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reach and Impact — Contextual Safeguarding</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1d1d1d;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.7rem;margin:0 0 8px}h2{margin-top:36px;border-bottom:2px solid #0072B2;padding-bottom:4px}
nav ul{columns:2;font-size:.9rem}
table{border-collapse:collapse;margin:12px 0;font-size:.85rem;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}th[scope=row]{text-align:left}
thead th{background:#eef3f8;position:sticky;top:0}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;text-align:inherit}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
td.sym{color:#8a1c1c;font-weight:600;text-align:center}
.ci{display:block;color:#555;font-size:.75rem;white-space:nowrap}
.legend{background:#fff;border:1px solid #ddd;padding:8px 12px;font-size:.85rem}
.chart{max-width:100%;height:auto}
.chart .ct{font-weight:600;font-size:14px}.chart .cs{font-weight:600;font-size:12px}.chart .cl{font-size:11px;fill:#333}
.chart .cv{font-size:11px}.chart .sym{fill:#8a1c1c;font-weight:600}
.wide{overflow-x:auto}.grid{display:flex;flex-wrap:wrap;gap:8px}
figure{margin:12px 0}figcaption,.said{font-size:.9rem;color:#333;max-width:720px}
.lead{color:#444}.foot{color:#666;font-size:.8rem;margin-top:32px}
details{background:#fff;border:1px solid #ddd;margin:6px 0;padding:4px 12px}summary{cursor:pointer;font-weight:600}
label{font-size:.9rem}input[type=search]{font:inherit;padding:2px 6px}
@media print{
  @page{size:A4;margin:14mm}
  body{background:#fff;font-size:10pt}main{max-width:none;padding:0}
  nav,.filter{display:none}thead th{position:static}.wide{overflow:visible}#overview{font-size:7pt}
  figure,table,details{break-inside:avoid}h2{break-after:avoid}
}
</style></head><body><main>
"#;

pub const LEGEND: &str = "<div class=\"legend\"><strong>Symbols:</strong> \
<code>c</code> suppressed (a count of 1 to 5, or a cell that would reveal one); \
<code>x</code> not available (the authority did not send that table for the quarter; All partner authorities \
is over the authorities that did); <code>z</code> not applicable (nothing to divide by); \
<code>u</code> low reliability (as published by DfE); <code>–</code> no figure. \
Programme-wide (All partner authorities) counts are rounded to the nearest 10. \
A percentage's 95% confidence interval (Wilson) is shown under it: the range its true value \
is likely to lie in, given how few cases it is over.</div>";

/// Sorting (click a column heading; numbers as numbers, symbols last) and filtering (by
/// authority name) of the overview table; every folded section opens for printing.
pub const SCRIPT: &str = r#"<script>
(function(){
  var table=document.getElementById('overview');
  if(table){
    var body=table.tBodies[0];
    var heads=table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads,function(th,col){
      var b=document.createElement('button');b.type='button';b.textContent=th.textContent;
      th.textContent='';th.appendChild(b);
      b.addEventListener('click',function(){
        var asc=th.getAttribute('aria-sort')!=='ascending';
        Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',asc?'ascending':'descending');
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(r1,r2){
          var a=r1.cells[col].getAttribute('data-sort'),b2=r2.cells[col].getAttribute('data-sort');
          var x=parseFloat(a),y=parseFloat(b2);
          var xn=isNaN(x),yn=isNaN(y);
          if(xn&&yn){var t=(r1.cells[col].textContent).localeCompare(r2.cells[col].textContent);return asc?t:-t;}
          if(xn)return 1;if(yn)return -1;
          return asc?x-y:y-x;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
    var input=document.getElementById('filter');
    if(input){input.addEventListener('input',function(){
      var q=input.value.toLowerCase();
      Array.prototype.forEach.call(body.rows,function(r){
        r.hidden=q!==''&&r.cells[0].textContent.toLowerCase().indexOf(q)<0;
      });
    });}
  }
  window.addEventListener('beforeprint',function(){
    Array.prototype.forEach.call(document.querySelectorAll('details'),function(d){d.open=true;});
  });
})();
</script>"#;
