/* assets.c - the report page's CSS and script. */
#define _POSIX_C_SOURCE 200809L
#include "assets.h"
#include "overlay.h"
#include "core/util.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const char css[] =
    ":root{--gen:#1f5fbf;--genbg:#eef4ff;--q:#6b6b6b;--qbg:#f5f5f2;--warn:#8a1c1c;font-family:system-ui,sans-serif;"
    "line-height:1.4;color:#1a1a1a;background:#fff}\n"
    "body{margin:0 auto;max-width:1200px;padding:0 16px 32px}\n"
    "header h1{font-size:1.5em;margin:16px 0 4px}\n"
    ".warn{border:2px solid var(--warn);color:var(--warn);background:#fff4f4;padding:6px 10px;border-radius:4px}\n"
    "h2{font-size:1.1em;margin:0 0 6px;word-break:break-all}h3{font-size:1em;margin:16px 0 6px}\n"
    "table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ddd;padding:2px 6px;text-align:left}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}tr.def td{color:#666;font-size:.85em}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0}.chart svg{max-width:100%;height:auto}\n"
    ".chart text{font-size:11px;fill:#333}.chart .ct{font-size:13px;font-weight:bold}.chart .yt{text-anchor:end}\n"
    ".chart .xt,.chart .xl{text-anchor:middle}.chart .grid{stroke:#e4e4e4}.chart figcaption{font-size:.85em}\n"
    ".key{margin-right:12px}.confusion{display:inline-block;margin:0 24px 16px 0;vertical-align:top}\n"
    ".confusion figcaption{font-size:.9em;margin-bottom:4px}\n"
    ".q0{background:#fff}.q1{background:#e3edf9}.q2{background:#bcd3f0}.q3{background:#8fb5e6}.q4{background:#5a90d6;color:#fff}\n"
    ".diag{font-weight:bold;outline:1px solid #333}\n"
    "#controls{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:8px 0;z-index:2;"
    "display:flex;flex-wrap:wrap;gap:8px;align-items:center}\n"
    "#controls input[type=search]{min-width:16em}\n"
    ".item{display:flex;gap:16px;border-bottom:1px solid #ddd;padding:16px 0;content-visibility:auto;"
    "contain-intrinsic-size:auto 420px}\n"
    ".item[hidden]{display:none}.fig{flex:none}\n"
    ".box{position:relative;width:var(--box,224px);height:var(--box,224px);background:#000;overflow:hidden}\n"
    ".box img,.box canvas{position:absolute;inset:0;width:100%;height:100%}\n"
    ".box img{object-fit:contain}.fit-crop img{object-fit:cover}.fit-stretch img{object-fit:fill}\n"
    ".box canvas{pointer-events:none}\n"
    ".ph{display:flex;align-items:center;justify-content:center;background:repeating-linear-gradient(45deg,#eee 0 8px,#ddd 8px 16px)}\n"
    ".ph span{padding:8px;font-size:.85em;color:#600;text-align:center;word-break:break-word}\n"
    ".legend{font-size:.8em;color:#555;width:var(--box,224px);margin:4px 0}\n"
    ".body{flex:1;min-width:0}\n"
    ".tag{font-size:.75em;text-transform:uppercase;letter-spacing:.05em;margin:0 0 2px;color:#555}\n"
    ".gen{border-left:4px solid var(--gen);background:var(--genbg);padding:6px 10px;margin-bottom:8px}\n"
    ".gen .tag{color:var(--gen)}.caption{font-family:ui-monospace,monospace;margin:2px 0}\n"
    ".w{cursor:crosshair;border-radius:2px}.w:hover,.w:focus,.w.on{background:#ffd75e;outline:none}\n"
    ".caption .m{text-decoration:underline;text-decoration-color:#2a8a2a;text-decoration-thickness:2px}\n"
    "mark{background:#d9f2d9;color:inherit}\n"
    ".fields{margin:4px 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.9em}\n"
    ".fields .p{color:#555}.ok{color:#1d6b1d}.no{color:#a11}\n"
    "blockquote{margin:4px 0;padding:4px 10px;border-left:4px solid var(--q);background:var(--qbg);font-style:italic}\n"
    "cite{display:block;font-size:.8em;color:#555;font-style:normal}\n"
    ".interp{font-size:.9em}\n"
    ".nbrs ol{padding-left:1.5em;margin:4px 0}.nbrs li{margin-bottom:8px}.nb{display:flex;gap:8px}\n"
    ".nbox{flex:none;position:relative;width:var(--nbox,96px);height:var(--nbox,96px);background:#000}\n"
    ".nbox img{width:100%;height:100%;object-fit:contain}\n"
    ".nbox.ph span{font-size:.7em;padding:2px}\n"
    ".kn dt{font-weight:bold;font-style:normal;font-size:.85em}.kn dd{margin:0 0 4px 0}.kn summary{font-size:.9em}\n"
    "button.whole{font-size:.8em}\n"
    "footer{margin-top:24px}\n";

/* The script: thumbnail files (--dir) load as they near the view (those
 * in view at once, in document order); word
 * hover and focus draw the attention map; sorting and filtering of the
 * items.  %s: the colour stops, %g: the opacity. */
static const char script_fmt[] =
    "(function(){'use strict';\n"
    "var STOPS=%s,ALPHA=%g;\n"
    "var list=document.getElementById('items');if(!list)return;\n"
    "var lazy=list.querySelectorAll('img[data-src]');\n"
    "function load(img){img.src=img.getAttribute('data-src');img.removeAttribute('data-src');}\n"
    "if(lazy.length&&'IntersectionObserver' in window){var io=new IntersectionObserver(function(es){"
    "es.forEach(function(e){if(e.isIntersecting){io.unobserve(e.target);load(e.target);}});},{rootMargin:'800px'});\n"
    " var near=true;lazy.forEach(function(img){if(near&&img.getBoundingClientRect().top<innerHeight+800)load(img);"
    "else{near=false;io.observe(img);}});}else{Array.prototype.forEach.call(lazy,load);}\n"
    "var items=Array.prototype.slice.call(list.children);\n"
    "function clamp(v,a,b){return v<a?a:v>b?b:v;}\n"
    "function grid(cap){if(!cap._g){var a=cap.getAttribute('data-att').trim().split(/\\s+/).map(Number);"
    "cap._g={h:a[0],w:a[1],v:a.slice(2)};}return cap._g;}\n"
    "function mapOf(g,k){var n=g.h*g.w,m=new Float64Array(n),words=g.v.length/n,lo=Infinity,hi=-Infinity,i,j;\n"
    " for(j=0;j<words;j++){if(k>=0&&j!==k)continue;for(i=0;i<n;i++)m[i]+=g.v[j*n+i];}\n"
    " for(i=0;i<n;i++){lo=Math.min(lo,m[i]);hi=Math.max(hi,m[i]);}\n"
    " var peak=(k>=0?hi*n:hi*n/words)*1e-5;\n"
    " for(i=0;i<n;i++)m[i]=hi>lo?(m[i]-lo)/(hi-lo):0;return {m:m,peak:peak};}\n"
    "function colour(v){var x=clamp(v,0,1)*(STOPS.length-1),i=Math.min(Math.floor(x),STOPS.length-2),f=x-i,"
    "a=STOPS[i],b=STOPS[i+1];return [a[0]+(b[0]-a[0])*f,a[1]+(b[1]-a[1])*f,a[2]+(b[2]-a[2])*f];}\n"
    "function canvasOf(item){var box=item.querySelector('.box'),c=box.querySelector('canvas');\n"
    " if(!c){c=document.createElement('canvas');c.width=c.height=+box.getAttribute('data-px');"
    "c.setAttribute('aria-hidden','true');box.appendChild(c);}return c;}\n"
    "function draw(item,k,word){var cap=item.querySelector('.caption'),g=grid(cap),r=mapOf(g,k),m=r.m,"
    "c=canvasOf(item),W=c.width,H=c.height,ctx=c.getContext('2d'),img=ctx.createImageData(W,H),d=img.data,x,y;\n"
    " for(y=0;y<H;y++){var gy=clamp((y+0.5)/H*g.h-0.5,0,g.h-1),y0=Math.floor(gy),y1=Math.min(y0+1,g.h-1),fy=gy-y0;\n"
    "  for(x=0;x<W;x++){var gx=clamp((x+0.5)/W*g.w-0.5,0,g.w-1),x0=Math.floor(gx),x1=Math.min(x0+1,g.w-1),fx=gx-x0,\n"
    "   v=(m[y0*g.w+x0]*(1-fx)+m[y0*g.w+x1]*fx)*(1-fy)+(m[y1*g.w+x0]*(1-fx)+m[y1*g.w+x1]*fx)*fy,"
    "col=colour(v),p=(y*W+x)*4;\n"
    "   d[p]=col[0];d[p+1]=col[1];d[p+2]=col[2];d[p+3]=Math.round(255*ALPHA*v);}}\n"
    " ctx.putImageData(img,0,0);c.hidden=false;\n"
    " var lg=item.querySelector('.legend');if(lg){if(lg._t===undefined)lg._t=lg.textContent;"
    "lg.textContent='attention of \\u201c'+word+'\\u201d: peak '+r.peak.toFixed(2)+'\\u00d7 uniform';}}\n"
    "function clear(item){var c=item.querySelector('.box canvas'),lg=item.querySelector('.legend');"
    "if(c)c.hidden=true;if(lg&&lg._t!==undefined)lg.textContent=lg._t;}\n"
    "function wordEvent(e,on){var t=e.target,w=t&&t.closest?t.closest('.w,.whole'):null;if(!w)return;"
    "var item=w.closest('.item');if(!item)return;\n"
    " if(on){w.classList.add('on');draw(item,w.classList.contains('whole')?-1:+w.getAttribute('data-k'),"
    "w.classList.contains('whole')?'whole caption':w.textContent);}else{w.classList.remove('on');clear(item);}}\n"
    "list.addEventListener('mouseover',function(e){wordEvent(e,true);});\n"
    "list.addEventListener('mouseout',function(e){wordEvent(e,false);});\n"
    "list.addEventListener('focusin',function(e){wordEvent(e,true);});\n"
    "list.addEventListener('focusout',function(e){wordEvent(e,false);});\n"
    "var q=document.getElementById('q'),sort=document.getElementById('sort'),dir=document.getElementById('dir'),"
    "field=document.getElementById('field'),count=document.getElementById('count'),bar=document.getElementById('controls');\n"
    "if(!q||!sort||!dir||!field||!count||!bar)return;\n"
    "function text(it){if(it._t===undefined)it._t=it.textContent.toLowerCase();return it._t;}\n"
    "function num(it,k){var v=it.getAttribute('data-s-'+k);return v===null?NaN:parseFloat(v);}\n"
    "function order(it){return +it.getAttribute('data-order');}\n"
    "function apply(){var words=q.value.toLowerCase().split(/\\s+/).filter(Boolean),fv=field.value,shown=0,"
    "fk=null,fval=null,wrong=null;\n"
    " if(fv.indexOf('f:')===0){var eq=fv.indexOf('=');fk=fv.slice(2,eq);fval=fv.slice(eq+1);}"
    "else if(fv.indexOf('x:')===0)wrong=fv.slice(2);\n"
    " items.forEach(function(it){var ok=words.every(function(w){return text(it).indexOf(w)>=0;});\n"
    "  if(ok&&fk!==null)ok=it.getAttribute('data-f-'+fk)===fval;\n"
    "  if(ok&&wrong!==null){var p=it.getAttribute('data-f-'+wrong),t=it.getAttribute('data-t-'+wrong);"
    "ok=p!==null&&t!==null&&p!==t;}\n"
    "  it.hidden=!ok;if(ok)shown++;});\n"
    " var key=sort.value,sign=dir.value==='desc'?-1:1;\n"
    " count.textContent=shown+' of '+items.length+' items shown';\n"
    " if(key+dir.value===shownOrder)return;shownOrder=key+dir.value;\n"
    " var sorted=items.slice().sort(function(a,b){\n"
    "  if(key==='order')return sign*(order(a)-order(b));\n"
    "  if(key==='id'){var x=a.getAttribute('data-id'),y=b.getAttribute('data-id');"
    "return sign*(x<y?-1:x>y?1:0)||order(a)-order(b);}\n"
    "  var u=num(a,key.slice(2)),v=num(b,key.slice(2));\n"
    "  if(isNaN(u)||isNaN(v))return (isNaN(u)-isNaN(v))||order(a)-order(b);\n"
    "  return sign*(u-v)||order(a)-order(b);});\n"
    " var frag=document.createDocumentFragment();sorted.forEach(function(it){frag.appendChild(it);});"
    "list.appendChild(frag);}\n"
    "var shownOrder='orderasc';\n"
    "function fromHash(){var m=/^#(item-[0-9]+)\\/(w([0-9]+)|all)$/.exec(location.hash),it;\n"
    " if(!m||!(it=document.getElementById(m[1]))||!it.querySelector('.caption[data-att]'))return;\n"
    " var w=m[3]===undefined?it.querySelector('.whole'):it.querySelector('.w[data-k=\"'+m[3]+'\"]');\n"
    " if(w){it.scrollIntoView();draw(it,m[3]===undefined?-1:+m[3],m[3]===undefined?'whole caption':w.textContent);}}\n"
    "window.addEventListener('hashchange',fromHash);fromHash();\n"
    "[q,sort,dir,field].forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});\n"
    "bar.hidden=false;apply();\n"
    "})();\n";

char *rp_style(int box, int nbox)
{
    size_t n = sizeof css + 64;
    char *s = mc_malloc(n);
    snprintf(s, n, ":root{--box:%dpx;--nbox:%dpx}\n%s", box, nbox, css);
    return s;
}

char *rp_script(void)
{
    char stops[256];
    size_t k = 0, n;
    char *s;
    k += (size_t)snprintf(stops + k, sizeof stops - k, "[");
    for (int i = 0; i < RP_HEAT_STOPS; i++)
        k += (size_t)snprintf(stops + k, sizeof stops - k, "%s[%d,%d,%d]", i ? "," : "", rp_heat_stops[i][0],
                              rp_heat_stops[i][1], rp_heat_stops[i][2]);
    snprintf(stops + k, sizeof stops - k, "]");
    n = sizeof script_fmt + strlen(stops) + 32;
    s = mc_malloc(n);
    snprintf(s, n, script_fmt, stops, RP_HEAT_ALPHA);
    return s;
}

char *rp_csp_hash(const char *text)
{
    guint8 digest[32];
    gsize len = sizeof digest;
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    gchar *b64;
    char *out;
    g_checksum_update(c, (const guchar *)text, (gssize)strlen(text));
    g_checksum_get_digest(c, digest, &len);
    g_checksum_free(c);
    b64 = g_base64_encode(digest, len);
    out = mc_malloc(strlen(b64) + 8);
    sprintf(out, "sha256-%s", b64);
    g_free(b64);
    return out;
}
