// `/`: send the person to where they last signed in (the technician app by default).
import { rememberedHome } from './http.js';

location.replace(rememberedHome());
